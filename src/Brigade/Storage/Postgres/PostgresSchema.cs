namespace Brigade.Storage.Postgres;

/// <summary>The PostgreSQL tables of the event log and its read models, created at start-up if missing.</summary>
internal static class PostgresSchema
{
    /// <summary>Serializes schema creation when several processes start at once (pg_advisory_xact_lock).</summary>
    public const long MigrationLockKey = 0x4272_6967_6164_6500; // "Brigade\0"

    public const string IdempotencyIndex = "events_order_idempotency";

    /// <summary>SQLSTATE raised by <c>brigade_advance_head</c> when another process appended first.</summary>
    public const string HeadMovedState = "BR001";

    public const string Create = """
        CREATE TABLE IF NOT EXISTS log_head (
            id       boolean PRIMARY KEY DEFAULT true CHECK (id),
            position bigint  NOT NULL
        );
        INSERT INTO log_head (id, position) VALUES (true, 0) ON CONFLICT (id) DO NOTHING;

        -- Take the head's row lock and move it, but only from the position the caller wrote last:
        -- if another process appended in between, fail (the writer then checks against the database).
        CREATE OR REPLACE FUNCTION brigade_advance_head(p_expected bigint, p_last bigint) RETURNS void
        LANGUAGE plpgsql AS $fn$
        BEGIN
            UPDATE log_head SET position = p_last WHERE id AND position = p_expected;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'the log head moved: another process appended' USING ERRCODE = 'BR001';
            END IF;
        END
        $fn$;

        CREATE TABLE IF NOT EXISTS events (
            position  bigint      PRIMARY KEY,
            stream_id text        COLLATE "C" NOT NULL,
            version   bigint      NOT NULL,
            type      text        NOT NULL,
            data      jsonb       NOT NULL,
            at        timestamptz NOT NULL,
            order_id  text,
            CONSTRAINT events_stream_version UNIQUE (stream_id, version)
        );
        CREATE INDEX IF NOT EXISTS events_by_order ON events (order_id) WHERE order_id IS NOT NULL;
        -- One order per customer and idempotency key, whichever process places it (decision 0003).
        CREATE UNIQUE INDEX IF NOT EXISTS events_order_idempotency
            ON events ((data ->> 'customerId'), (data ->> 'idempotencyKey')) WHERE type = 'OrderPlaced';

        CREATE TABLE IF NOT EXISTS dedup_keys (
            scope      text        NOT NULL,
            key        text        NOT NULL,
            value      text        NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX IF NOT EXISTS dedup_keys_by_age ON dedup_keys (created_at);

        CREATE TABLE IF NOT EXISTS order_summaries (
            id          text        PRIMARY KEY,
            status      text        NOT NULL,
            outlet_id   text,
            customer_id text        NOT NULL,
            placed_at   timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL,
            version     bigint      NOT NULL,
            body        text        NOT NULL
        );
        CREATE INDEX IF NOT EXISTS order_summaries_by_customer ON order_summaries (customer_id, placed_at);
        CREATE INDEX IF NOT EXISTS order_summaries_by_outlet ON order_summaries (outlet_id, placed_at);

        CREATE TABLE IF NOT EXISTS checkpoints (name text PRIMARY KEY, position bigint NOT NULL);
        """;
}
