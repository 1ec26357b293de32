using System.Net;
using System.Net.Sockets;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary><c>brigade serve</c> with settings it cannot use: a message that says which, exit code 2, no stack trace.</summary>
public class ServeCommandTests
{
    [Theory]
    [InlineData("notaurl", "'notaurl' is not an address to listen on")]
    [InlineData("http://127.0.0.1:99999", "'http://127.0.0.1:99999' has port 99999")]
    public async Task Serve_with_a_listen_address_it_cannot_use_says_which_and_exits_without_a_stack_trace(string url, string says)
    {
        var dir = TempDir();
        try
        {
            var (code, _, error) = await RunAsync("serve", "--urls", url, "--data-dir", dir);

            Assert.Equal(2, code);
            Assert.Contains("brigade serve: urls: " + says, error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Serve_on_an_address_already_in_use_says_so_and_exits_without_a_stack_trace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var dir = TempDir();
        try
        {
            var (code, _, error) = await RunAsync("serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dir);

            Assert.Equal(2, code);
            Assert.Contains("brigade serve: ", error, StringComparison.Ordinal);
            Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Serve_with_a_data_directory_it_cannot_create_names_it_and_exits_without_a_stack_trace()
    {
        var file = Path.Combine(Path.GetTempPath(), "brigade-not-a-dir-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "a file, not a directory");
        try
        {
            var dir = Path.Combine(file, "data");
            var (code, _, error) = await RunAsync("serve", "--data-dir", dir);

            Assert.Equal(2, code);
            Assert.Contains($"brigade serve: cannot create the data directory '{dir}'", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "brigade-serve-" + Guid.NewGuid().ToString("N"));

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), .. args]);
}
