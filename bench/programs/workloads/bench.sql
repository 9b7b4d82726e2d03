-- bench.sql - the sqlite3 workload of compare.sh and of the bench's
-- `programs` group: tables in a database file in the preopened directory,
-- a few thousand rows made by a recursive CTE, aggregates, ORDER BY, joins,
-- a window function, updates and deletes, and printf() of floats.
--   sqlite3 data/bench.db ".parameter set @n ROWS" ".read data/bench.sql"
-- Deterministic on every platform: no random(), no dates, no file names.
.bail on
PRAGMA synchronous = OFF;
PRAGMA page_size = 4096;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS cities;
CREATE TABLE cities(id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL);
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city INTEGER REFERENCES cities(id), since INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customers(id),
                    amount REAL, qty INTEGER, note TEXT);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40)
INSERT INTO cities SELECT i, char(65 + i % 26) || lower(char(65 + (i * 7) % 26)) || 'ville',
                          CASE i % 4 WHEN 0 THEN 'FR' WHEN 1 THEN 'DE' WHEN 2 THEN 'IT' ELSE 'ES' END FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
INSERT INTO customers SELECT i, printf('customer-%04d', i), 1 + (i * 13) % 40, 1990 + i % 30 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < @n)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 1000, ((i * 104729) % 100000) / 100.0, 1 + i % 9,
                          printf('%08X', i * 2654435761 % 4294967296) FROM c;
COMMIT;
CREATE INDEX orders_customer ON orders(customer);
CREATE INDEX orders_amount ON orders(amount);

SELECT 'orders', count(*), sum(qty), round(sum(amount), 2), printf('%.4f', avg(amount)),
       min(amount), max(amount) FROM orders;
.headers on
.mode column
SELECT ci.country, count(*) AS n, printf('%.2f', sum(o.amount)) AS total,
       printf('%.3e', avg(o.amount * o.qty)) AS avg_value, printf('%8.3f', max(o.amount) / 7.0) AS q
  FROM orders o JOIN customers cu ON o.customer = cu.id JOIN cities ci ON cu.city = ci.id
 GROUP BY ci.country ORDER BY total DESC;
SELECT cu.name, ci.name AS city, count(*) AS n, printf('%10.2f', sum(o.amount * o.qty)) AS value
  FROM customers cu JOIN orders o ON o.customer = cu.id JOIN cities ci ON ci.id = cu.city
 GROUP BY cu.id ORDER BY sum(o.amount * o.qty) DESC, cu.id LIMIT 12;
.mode list
.headers off
SELECT id, customer, amount, rank() OVER (PARTITION BY customer ORDER BY amount DESC, id) AS r
  FROM orders WHERE customer IN (7, 42, 999) ORDER BY customer, r LIMIT 15;
SELECT since, count(*), printf('%.6f', avg(amount)), group_concat(DISTINCT qty)
  FROM orders o JOIN customers cu ON cu.id = o.customer GROUP BY since ORDER BY since;
SELECT substr(note, 1, 3) AS p, count(*), printf('%.2f', total(amount))
  FROM orders WHERE note LIKE 'A%' OR note GLOB '*FF*' GROUP BY p ORDER BY count(*) DESC, p LIMIT 10;
UPDATE orders SET amount = amount * 1.075 WHERE id % 3 = 0;
DELETE FROM orders WHERE id % 10 = 0 OR amount < 5.0;
SELECT 'after', count(*), printf('%.3f', total(amount)), printf('%.15g', avg(amount)) FROM orders;
SELECT count(*) FROM (SELECT customer FROM orders GROUP BY customer HAVING count(*) > @n / 1000);
SELECT 0.1 + 0.2, 1.0 / 3, 2.5e-10 * 4, 1e300 * 1e10, round(2.675, 2), cast(7 AS REAL) / 2,
       printf('%.20f|%g|%e|%5.1f%%', 0.1, 1e-5, 123456.789, 99.95), 9223372036854775807 + 0;
SELECT json_object('n', count(*), 'sum', sum(qty)) FROM orders WHERE customer < 10;
PRAGMA integrity_check;
