using System.Security.Cryptography;
using System.Text;

namespace Brigade.Auth;

/// <summary>
/// The HMAC key tokens are signed with: from configuration (<c>Brigade:Auth:SigningKey</c>, base64
/// or text, at least 32 bytes), or else a random key generated into the data directory on first use
/// (<c>signing.key</c>, readable by its owner only). The server and <c>brigade token</c> find the same key.
/// </summary>
public static class SigningKey
{
    public const string FileName = "signing.key";
    public const int MinBytes = 32;

    public static byte[] Resolve(string? configured, string dataDir)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return FromConfiguration(configured);
        return LoadOrCreate(dataDir);
    }

    public static byte[] FromConfiguration(string configured)
    {
        var value = configured.Trim();
        byte[] bytes;
        try { bytes = Convert.FromBase64String(value); }
        catch (FormatException) { bytes = Encoding.UTF8.GetBytes(value); }
        if (bytes.Length < MinBytes) throw new Hosting.SettingsException($"Brigade:Auth:SigningKey must be at least {MinBytes} bytes (base64 or text); generate one with: openssl rand -base64 32");
        return bytes;
    }

    /// <summary>The data directory's key; created atomically if missing, so two processes starting together agree.</summary>
    public static byte[] LoadOrCreate(string dataDir, string fileName = FileName)
    {
        var dir = Path.GetFullPath(dataDir);
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Hosting.SettingsException($"cannot create the data directory '{dir}': {e.Message}");
        }
        var path = Path.Combine(dir, fileName);
        if (!File.Exists(path))
        {
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinBytes)));
            try { File.Move(temp, path, overwrite: false); }
            catch (IOException) { File.Delete(temp); } // another process made it first: use theirs
        }
        var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        if (key.Length < MinBytes) throw new Hosting.SettingsException($"{path} holds a key shorter than {MinBytes} bytes; delete it to generate a new one");
        return key;
    }
}
