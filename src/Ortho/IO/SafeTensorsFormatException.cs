namespace Ortho.IO;

/// <summary>
/// Thrown when a safetensors file is malformed. The message names the file and, where it applies,
/// the tensor, the offsets and the rule that was broken.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so a
/// <c>catch (IOException)</c> around a load handles both a missing and a malformed file.
/// </remarks>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    public SafeTensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public SafeTensorsFormatException(string message, Exception innerException) : base(message, innerException) { }
}
