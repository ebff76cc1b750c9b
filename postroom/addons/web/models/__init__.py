from . import web_form_extension
