using SQLitePCL;

namespace Brigade.Storage;

/// <summary>
/// A prepared SQLite statement driven through the raw C API: parameters bound by index, no name
/// lookups, no per-call allocation. Microsoft.Data.Sqlite resolves every parameter by name on every
/// execution; on the log's write path that overhead was larger than SQLite's own work.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v2(db, sql, out _stmt));
    }

    public RawStatement Bind(int index, long value) { Check(raw.sqlite3_bind_int64(_stmt, index, value)); return this; }

    /// <summary>Text, encoded to UTF-8 on the stack (SQLite copies it), so short strings cost no garbage.</summary>
    public RawStatement Bind(int index, string? value)
    {
        if (value is null) { Check(raw.sqlite3_bind_null(_stmt, index)); return this; }
        if (value.Length > 256) return BindText(index, System.Text.Encoding.UTF8.GetBytes(value));
        Span<byte> utf8 = stackalloc byte[256 * 3];
        return BindText(index, utf8[..System.Text.Encoding.UTF8.GetBytes(value, utf8)]);
    }

    /// <summary>Text already in UTF-8.</summary>
    public RawStatement BindText(int index, ReadOnlySpan<byte> utf8) { Check(raw.sqlite3_bind_text(_stmt, index, utf8)); return this; }

    public RawStatement Bind(int index, ReadOnlySpan<byte> value) { Check(raw.sqlite3_bind_blob(_stmt, index, value)); return this; }

    /// <summary>Run a statement that returns no rows.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) Check(rc);
    }

    /// <summary>Step once; true while there is a row. Call <see cref="Reset"/> when done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc != raw.SQLITE_DONE) { raw.sqlite3_reset(_stmt); Check(rc); }
        return false;
    }

    public void Reset() => raw.sqlite3_reset(_stmt);

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    public string Text(int column) => raw.sqlite3_column_text(_stmt, column).utf8_to_string();

    public int Changes() => raw.sqlite3_changes(_db);

    public static void Exec(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_exec(db, sql);
        if (rc != raw.SQLITE_OK) throw new Microsoft.Data.Sqlite.SqliteException($"SQLite error {rc}: {raw.sqlite3_errmsg(db).utf8_to_string()} ({sql})", rc);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw new Microsoft.Data.Sqlite.SqliteException($"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}", rc);
    }

    public void Dispose() => _stmt.Dispose();
}
