-- The records that must exist before any other record can be created: they
-- are what create_uid/company_id of everything else point to.
INSERT INTO res_partner (id, name, complete_name, is_company, active, lang, type)
     VALUES (1, 'My Company', 'My Company', true, true, 'en_US', 'contact'),
            (2, 'System', 'System', false, false, 'en_US', 'contact');
INSERT INTO res_company (id, name, partner_id, sequence, active) VALUES (1, 'My Company', 1, 10, true);
UPDATE res_partner SET company_id = 1, commercial_partner_id = id;
INSERT INTO res_users (id, login, partner_id, company_id, active, notification_type, share)
     VALUES (1, '__system__', 2, 1, false, 'inbox', false);
INSERT INTO res_company_users_rel (cid, user_id) VALUES (1, 1);
INSERT INTO ir_model_data (module, name, model, res_id, noupdate) VALUES
    ('base', 'main_partner', 'res.partner', 1, true),
    ('base', 'partner_root', 'res.partner', 2, true),
    ('base', 'main_company', 'res.company', 1, true),
    ('base', 'user_root', 'res.users', 1, true);
SELECT setval('res_partner_id_seq', 2);
SELECT setval('res_company_id_seq', 1);
SELECT setval('res_users_id_seq', 1);
