namespace Brigade.Tests.Support;

/// <summary>A path for a directory of the test's own, not created; deleted (if it was) on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string name) => Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"brigade-{name}-{Guid.NewGuid():N}");

    public string Path { get; }

    public static implicit operator string(TempDir dir) => dir.Path;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
    }
}
