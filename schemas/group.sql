-- group.sql - the group database capa publish writes (docs/group.md). Compiled into capa and
-- run by every `capa publish` before it sends anything: idempotent (IF NOT EXISTS, OR
-- REPLACE) and serialised by an advisory lock, so many plants may publish at once.
-- Everything lives in the schema `capa`; every table is keyed by plant, the store's
-- identity: the chain hash of its first event (init), which a backup and its restores keep.
SELECT pg_advisory_xact_lock(2020202020);
CREATE SCHEMA IF NOT EXISTS capa;

-- One row per plant: what was published so far. head_seq/head_hash are the last event sent;
-- a publish continues after it and only when the store's event head_seq still has head_hash.
CREATE TABLE IF NOT EXISTS capa.plants (
    plant text PRIMARY KEY,
    org text NOT NULL,
    timezone text NOT NULL,
    number_pattern text NOT NULL,
    recurrence_days integer NOT NULL,
    head_seq bigint NOT NULL DEFAULT 0,
    head_hash text NOT NULL DEFAULT '',
    published_at timestamptz
);

-- The trail: every event in chain order with its hash (hex SHA-256 after the event).
CREATE TABLE IF NOT EXISTS capa.events (
    plant text NOT NULL REFERENCES capa.plants,
    seq bigint NOT NULL,
    hash text NOT NULL,
    time timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    case_number text,
    stage text,
    reason text,
    changes jsonb NOT NULL, -- [{"field", "old", "new"}], null for absent / cleared
    facts jsonb NOT NULL,   -- [[key, value], ...] what replay needs
    version integer NOT NULL,
    PRIMARY KEY (plant, seq),
    CHECK (seq >= 1)
);
CREATE INDEX IF NOT EXISTS events_case ON capa.events (plant, case_number);

-- Records derived from the trail, one set per case, replaced whole when an event of the case
-- is published (children cascade).
CREATE TABLE IF NOT EXISTS capa.cases (
    plant text NOT NULL REFERENCES capa.plants,
    number text NOT NULL,
    workflow text NOT NULL,
    stage text NOT NULL,
    closed boolean NOT NULL,
    opened timestamptz NOT NULL,
    closed_at timestamptz,
    opened_by text,
    customer text NOT NULL DEFAULT '',
    part_no text NOT NULL DEFAULT '',
    lot_no text NOT NULL DEFAULT '',
    defect_code text NOT NULL DEFAULT '',
    severity text NOT NULL DEFAULT '',
    channel text NOT NULL DEFAULT '',
    complaint_type text NOT NULL DEFAULT '',
    validity text NOT NULL DEFAULT '',
    responsible_dept text NOT NULL DEFAULT '',
    satisfaction text NOT NULL DEFAULT '',
    subject_person text NOT NULL DEFAULT '',
    last_seq bigint NOT NULL, -- the case's last event published
    PRIMARY KEY (plant, number)
);
CREATE INDEX IF NOT EXISTS cases_part_defect ON capa.cases (part_no, defect_code);
CREATE INDEX IF NOT EXISTS cases_customer ON capa.cases (customer);
-- A plant's month (the group report, group_monthly): cases opened or closed in it.
CREATE INDEX IF NOT EXISTS cases_plant_opened ON capa.cases (plant, opened);
CREATE INDEX IF NOT EXISTS cases_plant_closed ON capa.cases (plant, closed_at) WHERE closed;

CREATE TABLE IF NOT EXISTS capa.stages (
    plant text NOT NULL,
    number text NOT NULL,
    stage text NOT NULL,
    position integer NOT NULL, -- in workflow order, from 1
    form_id text NOT NULL,
    form_version integer NOT NULL,
    entered timestamptz,
    left_at timestamptz,
    PRIMARY KEY (plant, number, stage),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);

-- Single fields of a stage.
CREATE TABLE IF NOT EXISTS capa.stage_values (
    plant text NOT NULL,
    number text NOT NULL,
    stage text NOT NULL,
    name text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (plant, number, stage, name),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);

-- Repeating rows (a form's group field, stored as group.N.column).
CREATE TABLE IF NOT EXISTS capa.stage_rows (
    plant text NOT NULL,
    number text NOT NULL,
    stage text NOT NULL,
    grp text NOT NULL,
    row_no integer NOT NULL,
    col text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (plant, number, stage, grp, row_no, col),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS capa.signatures (
    plant text NOT NULL,
    number text NOT NULL,
    seq bigint NOT NULL, -- the event that recorded it
    stage text NOT NULL,
    kind text NOT NULL,  -- sign, reject
    meaning text NOT NULL,
    user_id text NOT NULL,
    user_name text NOT NULL,
    role text NOT NULL,
    reason text,
    time timestamptz NOT NULL,
    data_hash text NOT NULL,
    superseded boolean NOT NULL,
    PRIMARY KEY (plant, number, seq),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);

-- Attachments: their digests, never their bytes.
CREATE TABLE IF NOT EXISTS capa.attachments (
    plant text NOT NULL,
    number text NOT NULL,
    seq bigint NOT NULL,
    name text NOT NULL,
    stage text NOT NULL,
    note text,
    mime text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    user_id text NOT NULL,
    user_name text NOT NULL,
    time timestamptz NOT NULL,
    PRIMARY KEY (plant, number, seq),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);

-- Time limits and their state as of state_at (the publish).
CREATE TABLE IF NOT EXISTS capa.limits (
    plant text NOT NULL,
    number text NOT NULL,
    kind text NOT NULL, -- response, containment, plan, closure or a stage id
    position integer NOT NULL,
    hours double precision NOT NULL,
    working_days integer NOT NULL,
    start_at timestamptz NOT NULL,
    due timestamptz NOT NULL,
    warn timestamptz NOT NULL,
    met timestamptz,
    state text NOT NULL, -- on_time, due_soon, overdue, met, met_late
    state_at timestamptz NOT NULL,
    PRIMARY KEY (plant, number, kind),
    FOREIGN KEY (plant, number) REFERENCES capa.cases ON DELETE CASCADE
);
-- Limits falling due in a plant's month (on-time rates).
CREATE INDEX IF NOT EXISTS limits_plant_due ON capa.limits (plant, due);

-- ---- views for people and BI tools ----

-- Every case of every plant, with its plant's name and local opening / closing month.
CREATE OR REPLACE VIEW capa.group_cases AS
SELECT c.plant, p.org, c.number, c.workflow, c.stage, c.closed,
       c.opened, c.closed_at,
       to_char(c.opened AT TIME ZONE p.timezone, 'YYYY-MM') AS opened_month,
       to_char(c.closed_at AT TIME ZONE p.timezone, 'YYYY-MM') AS closed_month,
       c.customer, c.part_no, c.lot_no, c.defect_code, c.severity, c.channel,
       c.complaint_type, c.validity, c.responsible_dept, c.satisfaction,
       EXTRACT(EPOCH FROM (c.closed_at - c.opened)) / 3600.0 AS hours_to_close,
       (SELECT count(*) FROM capa.limits l
         WHERE l.plant = c.plant AND l.number = c.number AND NOT c.closed AND l.met IS NULL
           AND l.due <= now()) AS limits_overdue
  FROM capa.cases c JOIN capa.plants p USING (plant);

-- The monthly report's headline figures per plant and local month (as the plant's own
-- `capa report monthly`): the month's end, or now for the month in progress.
CREATE OR REPLACE VIEW capa.group_monthly AS
WITH months AS (
    SELECT p.plant, p.org, m AS month_local,
           m AT TIME ZONE p.timezone AS start_at,
           (m + interval '1 month') AT TIME ZONE p.timezone AS end_at
      FROM capa.plants p
     CROSS JOIN LATERAL generate_series(
           (SELECT date_trunc('month', min(c.opened) AT TIME ZONE p.timezone)
              FROM capa.cases c WHERE c.plant = p.plant),
           date_trunc('month', now() AT TIME ZONE p.timezone), interval '1 month') AS m
), bounded AS (
    SELECT months.*, least(end_at, now()) AS as_of FROM months
)
SELECT b.plant, b.org, to_char(b.month_local, 'YYYY-MM') AS month, b.start_at, b.end_at, b.as_of,
       (SELECT count(*) FROM capa.cases c
         WHERE c.plant = b.plant AND c.opened >= b.start_at AND c.opened < b.end_at
           AND c.opened < b.as_of) AS opened,
       (SELECT count(*) FROM capa.cases c
         WHERE c.plant = b.plant AND c.closed AND c.closed_at >= b.start_at
           AND c.closed_at < b.end_at AND c.closed_at < b.as_of) AS closed,
       (SELECT count(*) FROM capa.cases c
         WHERE c.plant = b.plant AND c.opened < b.as_of
           AND NOT (c.closed AND c.closed_at < b.as_of)) AS open_at_end,
       (SELECT count(*) FROM capa.limits l
         WHERE l.plant = b.plant AND l.kind IN ('response', 'containment', 'plan', 'closure')
           AND l.due >= b.start_at AND l.due < b.as_of) AS limits_due,
       (SELECT count(*) FROM capa.limits l
         WHERE l.plant = b.plant AND l.kind IN ('response', 'containment', 'plan', 'closure')
           AND l.due >= b.start_at AND l.due < b.as_of
           AND l.met IS NOT NULL AND l.met <= l.due) AS limits_on_time
  FROM bounded b;

-- The same part and defect in more than one case, across plants.
CREATE OR REPLACE VIEW capa.group_recurrence AS
SELECT c.part_no, c.defect_code, count(*) AS cases, count(DISTINCT c.plant) AS plants,
       string_agg(DISTINCT p.org, ', ') AS orgs, min(c.opened) AS first_opened,
       max(c.opened) AS last_opened,
       string_agg(p.org || ' ' || c.number, ', ' ORDER BY c.opened, c.number) AS case_list
  FROM capa.cases c JOIN capa.plants p USING (plant)
 WHERE c.part_no <> '' AND c.defect_code <> ''
 GROUP BY c.part_no, c.defect_code
HAVING count(*) > 1;

-- Read-only access for people: the role capa_reader may read the views, nothing else.
-- Creating it needs CREATEROLE; without it the DBA creates it (docs/group.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'capa_reader') THEN
        BEGIN
            CREATE ROLE capa_reader NOLOGIN;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'capa_reader not created (no CREATEROLE): see docs/group.md';
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'capa_reader') THEN
        GRANT USAGE ON SCHEMA capa TO capa_reader;
        GRANT SELECT ON capa.group_cases, capa.group_monthly, capa.group_recurrence
           TO capa_reader;
    END IF;
END $$;
