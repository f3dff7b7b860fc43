-- A small starting catalogue.
INSERT INTO products (sku, name, price_cents, stock) VALUES
    ('TEE-BLK-M',  'Black T-shirt (M)',       1999, 500),
    ('MUG-CFG-01', 'cfgen coffee mug',        1250, 300),
    ('STK-PACK-5', 'Sticker pack (5)',         499, 2000),
    ('HOOD-GRY-L', 'Grey hoodie (L)',         4999, 150),
    ('CAP-NVY-01', 'Navy cap',                1799, 250);
