using CvLearn.Core.Checkpoints;

namespace CvLearn.Storage.Azure.Tests;

public class BlobLocationTests
{
    private const string Key = "a2V5LWJ5dGVzLWZvci10ZXN0aW5nLW9ubHk=";

    [Fact]
    public void StandardConnectionStringGivesVirtualHostEndpoint()
    {
        var l = BlobLocation.FromAzblob("azblob://ckpt/runs/fmnist", $"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={Key};EndpointSuffix=core.windows.net");
        Assert.Equal("https://acct.blob.core.windows.net/", l.ServiceUri.AbsoluteUri);
        Assert.Equal(("acct", "ckpt", "runs/fmnist/"), (l.AccountName, l.Container, l.Prefix));
        Assert.Equal("https://acct.blob.core.windows.net/ckpt", l.ContainerUri.AbsoluteUri);
        Assert.IsType<BlobCredentials.SharedKey>(l.Credentials);
        Assert.DoesNotContain(Key, l.Describe + l.Credentials, StringComparison.Ordinal);
    }

    [Fact]
    public void DevelopmentStorageIsAzuriteOnPort10000PathStyle()
    {
        var l = BlobLocation.FromAzblob("azblob://ckpt", "UseDevelopmentStorage=true");
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/", l.ServiceUri.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/ckpt", l.ContainerUri.AbsoluteUri);
        Assert.Equal("", l.Prefix);
        Assert.Equal(BlobLocation.DevelopmentAccountName, ((BlobCredentials.SharedKey)l.Credentials).AccountName);
    }

    [Fact]
    public void BlobEndpointConnectionStringWithPathStyleAccount()
    {
        var l = BlobLocation.FromAzblob("azblob://ckpt/a%20b/", $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:12345/devstoreaccount1;");
        Assert.Equal("http://127.0.0.1:12345/devstoreaccount1/ckpt", l.ContainerUri.AbsoluteUri);
        Assert.Equal("a b/", l.Prefix);
    }

    [Fact]
    public void MissingConnectionStringNamesTheVariable()
    {
        var ex = Assert.Throws<ArgumentException>(() => BlobLocation.FromAzblob("azblob://ckpt/x", null));
        Assert.Contains("CVLEARN_AZURE_CONNECTION_STRING", ex.Message);
        Assert.Contains("never taken from the command line", ex.Message);
    }

    [Fact]
    public void ConnectionStringErrorsNeverEchoTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => BlobLocation.FromAzblob("azblob://ckpt", "AccountName=a;AccountKey=not*base64!"));
        Assert.Contains("AccountKey", ex.Message);
        Assert.DoesNotContain("not*base64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AccountKey", Assert.Throws<ArgumentException>(() => BlobLocation.FromAzblob("azblob://ckpt", "AccountName=a")).Message);
    }

    [Theory]
    [InlineData("azblob://Bad_Name/x")]
    [InlineData("azblob://ab/x")]
    [InlineData("azblob://ckpt/../x")]
    [InlineData("azblob://ckpt/x?sig=abc")]
    public void InvalidLocationsAreRejected(string location)
    {
        var ex = Assert.Throws<ArgumentException>(() => BlobLocation.FromAzblob(location, $"AccountName=a;AccountKey={Key}"));
        Assert.DoesNotContain("sig=abc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SasUrlVirtualHost()
    {
        var l = BlobLocation.FromSasUrl("https://acct.blob.core.windows.net/ckpt/runs/exp%201?sv=2021-08-06&sr=c&sp=racwdl&se=2030-01-01T00%3A00%3A00Z&sig=SECRET%2Bsig%3D");
        Assert.Equal(("acct", "ckpt", "runs/exp 1/"), (l.AccountName, l.Container, l.Prefix));
        var sas = Assert.IsType<BlobCredentials.Sas>(l.Credentials);
        Assert.Contains("sig=SECRET%2Bsig%3D", sas.Token, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", l.Describe + sas, StringComparison.Ordinal);
    }

    [Fact]
    public void SasUrlPathStyleForAzurite()
    {
        var l = BlobLocation.FromSasUrl("http://127.0.0.1:10000/devstoreaccount1/ckpt/p?sv=2021-08-06&sig=x");
        Assert.Equal(("devstoreaccount1", "ckpt", "p/"), (l.AccountName, l.Container, l.Prefix));
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/ckpt", l.ContainerUri.AbsoluteUri);
    }

    [Fact]
    public void UrlWithoutSasSaysWhatIsMissing()
    {
        var ex = Assert.Throws<ArgumentException>(() => BlobLocation.FromSasUrl("https://acct.blob.core.windows.net/ckpt/p"));
        Assert.Contains("SAS", ex.Message);
    }

    [Theory]
    [InlineData("https://a/c?sv=1&sig=abc%2Bdef&se=x", "https://a/c?sv=1&sig=REDACTED&se=x")]
    [InlineData("AccountName=a;AccountKey=abc==;BlobEndpoint=x", "AccountName=a;AccountKey=REDACTED;BlobEndpoint=x")]
    public void RedactionRemovesSecrets(string text, string expected) => Assert.Equal(expected, Redaction.RedactQuery(text));
}

/// <summary>Registration with StorageLocation (the hosts' entry point). Not parallel with itself: it changes global registrations.</summary>
public class RegistrationTests
{
    [Fact]
    public void RegisterMakesAzblobAndSasUrlsParse()
    {
        AzureStorage.Register(environment: name => name == BlobLocation.ConnectionStringVariable ? "UseDevelopmentStorage=true" : null);
        using var a = Assert.IsType<AzureBlobCheckpointStore>(StorageLocation.Parse("azblob://ckpt/exp"));
        Assert.Equal("exp/", a.Location.Prefix);
        using var b = Assert.IsType<AzureBlobCheckpointStore>(StorageLocation.Parse("https://acct.blob.core.windows.net/ckpt/p?sv=2021-08-06&sig=abc"));
        Assert.Equal("acct", b.Location.AccountName);
        Assert.Contains("azblob", StorageLocation.SupportedSchemes);
        Assert.IsType<FileSystemCheckpointStore>(StorageLocation.Parse("/tmp/x"));
        Assert.Contains("CVLEARN_AZURE_CONNECTION_STRING",
            Assert.Throws<ArgumentException>(() => AzureStorage.Create("azblob://ckpt/x", null, _ => null)).Message);
    }
}

public class DescribeTests
{
    [Fact]
    public void DescribeNamesContainerPrefixAccountAndEndpointButNoSecret()
    {
        var l = BlobLocation.FromSasUrl("https://acct.blob.core.windows.net/ckpt/runs?sv=2021-08-06&sig=SECRET");
        Assert.Equal("azblob://ckpt/runs/ (account acct at https://acct.blob.core.windows.net, SAS)", l.Describe);
    }
}
