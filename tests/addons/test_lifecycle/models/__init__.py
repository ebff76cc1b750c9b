from . import lifecycle_item, res_partner
