namespace Sessions.Tests.Infrastructure;

/// <summary>Where the repository and this build's other outputs are, seen from the tests' own output folder.</summary>
public static class Repository
{
    /// <summary>The folder that holds <c>Sessions.sln</c>.</summary>
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sessions.sln")))
            {
                directory = directory.Parent;
            }
            Assert.NotNull(directory);
            return directory.FullName;
        }
    }

    /// <summary>
    /// A project's build output in the tests' configuration and framework (<c>dotnet test</c> builds it beside its
    /// project), e.g. <c>Output("src/Api", "Sessions.Api.dll")</c>.
    /// </summary>
    public static string Output(string projectDirectory, string fileName)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory);
        return Path.Combine(Root, projectDirectory, "bin", bin.Parent!.Name, bin.Name, fileName);
    }
}
