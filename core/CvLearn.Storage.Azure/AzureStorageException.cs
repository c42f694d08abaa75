using System.Net;

namespace CvLearn.Storage.Azure;

/// <summary>An Azure Blob Storage request failed; the message says what to check. Never contains keys or SAS signatures.</summary>
public sealed class AzureStorageException : IOException
{
    public AzureStorageException() { }

    public AzureStorageException(string message) : base(message) { }

    public AzureStorageException(string message, Exception inner) : base(message, inner) { }

    public AzureStorageException(string message, HttpStatusCode? status, string? errorCode, Exception? inner = null) : base(message, inner)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status of the failed request, when there was a response.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The service's x-ms-error-code (AuthenticationFailed, ContainerNotFound, …), when given.</summary>
    public string? ErrorCode { get; }
}
