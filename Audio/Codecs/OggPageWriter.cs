using System.Buffers;
using System.Buffers.Binary;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>Ogg bitstream pages of one logical stream (RFC 3533): lacing, sequence numbers and the page CRC.</summary>
public sealed class OggPageWriter(uint serial)
{
    public const int MaxSegments = 255;
    private static readonly uint[] CrcTable = BuildCrcTable();
    private uint _sequence;

    public uint Serial => serial;

    /// <summary>Lacing segments a packet occupies: one per 255 bytes, plus a final one shorter than 255 (possibly empty).</summary>
    public static int Segments(int packetLength) => packetLength / 255 + 1;

    /// <summary>One page holding <paramref name="packets"/> whole; their segments must fit one page.</summary>
    public void WritePage(IBufferWriter<byte> output, IReadOnlyList<byte[]> packets, long granule, bool first = false, bool last = false)
    {
        var segments = packets.Sum(p => Segments(p.Length));
        if (segments > MaxSegments) throw new ArgumentException($"{segments} lacing segments do not fit one page.", nameof(packets));
        var length = 27 + segments + packets.Sum(p => p.Length);
        var page = output.GetSpan(length)[..length];

        "OggS"u8.CopyTo(page);
        page[4] = 0; // version
        page[5] = (byte)((first ? 0x02 : 0) | (last ? 0x04 : 0));
        BinaryPrimitives.WriteInt64LittleEndian(page[6..], granule);
        BinaryPrimitives.WriteUInt32LittleEndian(page[14..], serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page[18..], _sequence++);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], 0);
        page[26] = (byte)segments;

        var lacing = 27;
        var body = 27 + segments;
        foreach (var packet in packets)
        {
            for (var left = packet.Length; ; left -= 255)
            {
                page[lacing++] = (byte)Math.Min(left, 255);
                if (left < 255) break;
            }
            packet.CopyTo(page[body..]);
            body += packet.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], Crc(page));
        output.Advance(length);
    }

    /// <summary>CRC-32 with polynomial 0x04C11DB7, unreflected, zero initial value and no final XOR.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0u;
        foreach (var b in data) crc = (crc << 8) ^ CrcTable[(crc >> 24) ^ b];
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var r = i << 24;
            for (var k = 0; k < 8; k++) r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            table[i] = r;
        }
        return table;
    }
}
