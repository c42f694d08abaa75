using System.Text;

namespace CvLearn.Storage.Azure.Tests;

/// <summary>Shared Key signing against the documented string-to-sign layout and an independently computed HMAC.</summary>
public class SharedKeySignerTests
{
    private static readonly byte[] DevKey = Convert.FromBase64String(BlobLocation.DevelopmentAccountKey);

    private static KeyValuePair<string, string>[] PutBlobHeaders =>
    [
        new("x-ms-version", "2015-02-21"),
        new("X-MS-Date", "Fri, 26 Jun 2015 23:39:12 GMT"),
        new("x-ms-blob-type", "BlockBlob"),
        new("x-ms-meta-Trial", "  42 "),
        new("Content-Length", "11"),
        new("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="),   // MD5("hello world")
        new("Host", "myaccount.blob.core.windows.net"),
    ];

    // VERB, then Content-Encoding, Content-Language, Content-Length, Content-MD5, Content-Type, Date, If-Modified-Since,
    // If-Match, If-None-Match, If-Unmodified-Since, Range (one line each), then the x-ms-* headers lowercased, sorted
    // and trimmed, then /account + encoded path and the decoded query parameters, as in "Authorize with Shared Key".
    private const string ExpectedPutBlob =
        "PUT\n\n\n11\nXrY7u+Ae7tCTyyK7j1rNww==\n\n\n\n\n\n\n\n" +
        "x-ms-blob-type:BlockBlob\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-meta-trial:42\nx-ms-version:2015-02-21\n" +
        "/myaccount/mycontainer/my%20blob%2B1.ckpt\ntimeout:20";

    [Fact]
    public void StringToSignOfPutBlobMatchesTheDocumentedLayout()
    {
        var uri = new Uri("https://myaccount.blob.core.windows.net/mycontainer/my%20blob%2B1.ckpt?timeout=20");
        Assert.Equal(ExpectedPutBlob, SharedKeySigner.StringToSign("PUT", uri, PutBlobHeaders, "myaccount"));
    }

    [Fact]
    public void SignatureMatchesIndependentlyComputedHmac()
    {
        // Obtained with: /usr/bin/python3 -c 'import hmac,hashlib,base64; key=base64.b64decode("<devstoreaccount1 key>");
        //   print(base64.b64encode(hmac.new(key, S.encode("utf-8"), hashlib.sha256).digest()).decode())' with S = ExpectedPutBlob.
        Assert.Equal("tYYwekdLPt0BalM2/U98SgxqV0pU8LRoAO8IUSE9GzU=", SharedKeySigner.Sign(ExpectedPutBlob, DevKey));
    }

    [Fact]
    public void ZeroContentLengthIsEmpty()
    {
        var uri = new Uri("http://127.0.0.1:10000/devstoreaccount1/c1?restype=container");
        string s = SharedKeySigner.StringToSign("PUT", uri, [new("Content-Length", "0"), new("x-ms-date", "D"), new("x-ms-version", "V")], "devstoreaccount1");
        Assert.Equal("PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:V\n/devstoreaccount1/devstoreaccount1/c1\nrestype:container", s);
    }

    [Theory]
    // The documented examples of canonicalized resources (Get Container Metadata; List Blobs with repeated include).
    [InlineData("http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata", "/myaccount/mycontainer\ncomp:metadata\nrestype:container")]
    [InlineData("http://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list&include=snapshots&include=metadata&include=uncommittedblobs",
        "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container")]
    [InlineData("https://myaccount-secondary.blob.core.windows.net/mycontainer/myblob", "/myaccount/mycontainer/myblob")]
    // Path-style emulator URL: the account appears twice. Query names are lowercased, values decoded.
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/c/a%20b/%C3%BC?COMP=list&prefix=exp%20%C3%BC%2B%26", "/devstoreaccount1/devstoreaccount1/c/a%20b/%C3%BC\ncomp:list\nprefix:exp ü+&")]
    public void CanonicalizedResource(string url, string expected)
    {
        string account = url.Contains("devstoreaccount1", StringComparison.Ordinal) ? "devstoreaccount1" : "myaccount";
        Assert.Equal(expected, SharedKeySigner.CanonicalizedResource(new Uri(url), account));
    }

    [Fact]
    public void AuthorizeAddsSharedKeyHeaderOverRequestAndContentHeaders()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "https://myaccount.blob.core.windows.net/mycontainer/my%20blob%2B1.ckpt?timeout=20")
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes("hello world")),
        };
        request.Content.Headers.ContentMD5 = Convert.FromBase64String("XrY7u+Ae7tCTyyK7j1rNww==");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2015-02-21");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT");
        request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        request.Headers.TryAddWithoutValidation("x-ms-meta-Trial", "42");
        SharedKeySigner.Authorize(request, new BlobCredentials.SharedKey("myaccount", DevKey));
        Assert.Equal("SharedKey myaccount:tYYwekdLPt0BalM2/U98SgxqV0pU8LRoAO8IUSE9GzU=", string.Join(",", request.Headers.GetValues("Authorization")));
    }
}
