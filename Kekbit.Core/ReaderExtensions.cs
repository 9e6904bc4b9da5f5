namespace Kekbit.Core;

/// <summary>Helpers over any <see cref="IReader"/>.</summary>
public static class ReaderExtensions
{
    /// <summary>
    /// Enumerates the records available now, without waiting: <c>foreach (var record in reader.ReadAvailable())</c>.
    /// Afterwards <see cref="IReader.ExhaustedBy"/> tells whether more records may ever come.
    /// </summary>
    /// <param name="reader">The reader to drain.</param>
    public static AvailableRecords ReadAvailable(this IReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new AvailableRecords(reader);
    }
}
