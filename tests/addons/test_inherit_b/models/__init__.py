from . import res_partner, thing
