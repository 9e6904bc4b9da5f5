using System.Buffers.Binary;

namespace Kekbit.Core.Tests;

public sealed class MetadataTests
{
    [Theory]
    [InlineData(0, 100, 16384, 112)]
    [InlineData(20001, 100, 20008, 112)]
    [InlineData(131072, 1000, 131072, 1008)]
    [InlineData(16384, 64, 16384, 72)]
    [InlineData(16384, 100_000, 16384, 120)]
    [InlineData(65536, 256, 65536, 264)]
    public void Capacity_and_max_record_length_are_derived_from_hints_as_kekbit_does(int capacityHint, int maxHint, int capacity, int maxLength)
    {
        var m = Metadata.Create(1, 2, capacityHint, maxHint, 1000, TickUnit.Millis);
        Assert.Equal((capacity, maxLength), (m.Capacity, m.MaxRecordLength));
        Assert.Equal(1024 + capacity + 32, m.FileLength);
    }

    [Fact]
    public void Create_refuses_hints_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Metadata.Create(1, 2, -1, 10, 1, TickUnit.Secs));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metadata.Create(1, 2, Metadata.MaxCapacity + 1, 10, 1, TickUnit.Secs));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metadata.Create(1, 2, 16384, -1, 1, TickUnit.Secs));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metadata.Create(1, 2, 16384, 10, 1, (TickUnit)4));
    }

    [Fact]
    public void Creation_time_comes_from_the_time_provider_in_the_tick_unit()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddSeconds(1_000_000));
        Assert.Equal(1_000_000_000UL, Metadata.Create(1, 2, 0, 8, 1, TickUnit.Millis, clock).CreationTime);
        Assert.Equal(1_000_000UL, Metadata.Create(1, 2, 0, 8, 1, TickUnit.Secs, clock).CreationTime);
        Assert.Equal(1_000_000_000_000_000UL, Metadata.Create(1, 2, 0, 8, 1, TickUnit.Nanos, clock).CreationTime);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1_000_000), Metadata.Create(1, 2, 0, 8, 1, TickUnit.Micros, clock).CreatedAt);
    }

    [Fact]
    public void Write_then_read_round_trips_every_field()
    {
        var m = Metadata.Create(0xDEAD, 0xBEEF_0000_0001, 50_000, 300, 42, TickUnit.Micros);
        byte[] header = new byte[128];
        m.WriteTo(header);
        Assert.Equal(m, Metadata.Read(header, "mem"));
    }

    public static TheoryData<string, int, ulong, ChannelError> Corruptions => new()
    {
        { "signature", 0, 0x1122334455667788, ChannelError.InvalidSignature },
        { "zero signature", 0, 0, ChannelError.InvalidSignature },
        { "newer version", 8, (1UL << 48) | 1, ChannelError.IncompatibleVersion },
        { "newer major", 8, 2UL << 48, ChannelError.IncompatibleVersion },
        { "capacity too small", 32, 16376, ChannelError.InvalidCapacity },
        { "capacity misaligned", 32, 16388, ChannelError.InvalidCapacity },
        { "capacity too large", 32, 0xFFFF_FFF8, ChannelError.InvalidCapacity },
        { "max length misaligned", 36, 113, ChannelError.InvalidMaxRecordLength },
        { "max length too large", 36, 128, ChannelError.InvalidMaxRecordLength },
        { "tick unit", 56, 7, ChannelError.InvalidTickUnit },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Read_rejects_invalid_headers_with_typed_errors_naming_the_file(string what, int offset, ulong value, ChannelError expected)
    {
        byte[] header = new byte[128];
        Metadata.Create(1, 2, 16384, 100, 1, TickUnit.Millis).WriteTo(header);
        switch (offset)
        {
            case 32 or 36:
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(offset), (uint)value);
                break;
            case 56:
                header[56] = (byte)value;
                break;
            default:
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(offset), value);
                break;
        }

        var e = Assert.Throws<ChannelException>(() => Metadata.Read(header, "/some/file.kekbit"));
        Assert.Equal(expected, e.Error);
        Assert.Equal("/some/file.kekbit", e.Path);
        Assert.Contains("/some/file.kekbit", e.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(what));
    }

    [Fact]
    public void Read_accepts_older_versions_and_rejects_short_headers()
    {
        byte[] header = new byte[128];
        Metadata.Create(1, 2, 16384, 100, 1, TickUnit.Millis).WriteTo(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), (0UL << 48) | (9UL << 32) | 3);
        Assert.Equal("0.9.3", Metadata.Read(header, "f").VersionText);
        Assert.Equal(ChannelError.FileTooShort, Assert.Throws<ChannelException>(() => Metadata.Read(header.AsSpan(0, 127), "f")).Error);
    }

    [Theory]
    [InlineData(TickUnit.Nanos, 1_500UL, 15)]
    [InlineData(TickUnit.Micros, 3UL, 30)]
    [InlineData(TickUnit.Millis, 2UL, 20_000)]
    [InlineData(TickUnit.Secs, 1UL, 10_000_000)]
    public void Tick_units_convert_to_time_spans(TickUnit unit, ulong count, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), unit.ToTimeSpan(count));
        Assert.Equal(count, unit.FromTimeSpan(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void Huge_tick_counts_saturate_instead_of_overflowing()
    {
        Assert.Equal(TimeSpan.MaxValue, TickUnit.Secs.ToTimeSpan(ulong.MaxValue));
        Assert.Equal(DateTimeOffset.MaxValue, TickUnit.Millis.ToDateTimeOffset(ulong.MaxValue));
        Assert.Equal(ulong.MaxValue, TickUnit.Nanos.FromTimeSpan(TimeSpan.MaxValue));
    }
}
