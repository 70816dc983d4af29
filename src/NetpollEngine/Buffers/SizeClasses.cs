using System.Numerics;

namespace Netpoll.Buffers;

/// <summary>
/// Maps a requested size to a pooled block size. Four classes per power of two
/// (1, 1.25, 1.5, 1.75 × 2^k) bound the waste to under 25 % of the block, unlike
/// power-of-two pools that waste up to half.
/// </summary>
internal static class SizeClasses
{
    public const int MinBlockSize = 64;          // 2^6
    public const int MaxBlockSize = 1024 * 1024; // 2^20; larger requests are not pooled
    private const int MinShift = 6;
    private const int StepsPerPowerOfTwo = 4;

    /// <summary>Number of classes from 64 B to 1 MiB inclusive.</summary>
    public static readonly int Count = IndexOf(MaxBlockSize) + 1;

    /// <summary>Index of the smallest class whose size is at least <paramref name="size"/>.</summary>
    public static int IndexOf(int size)
    {
        if (size <= MinBlockSize)
        {
            return 0;
        }

        // For size in (2^k, 2^(k+1)] the classes are 2^k * (1.25, 1.5, 1.75, 2).
        int k = BitOperations.Log2((uint)(size - 1));
        int quarter = 1 << (k - 2);
        int step = (size - 1 - (1 << k)) / quarter; // 0..3
        return ((k - MinShift) * StepsPerPowerOfTwo) + step + 1;
    }

    /// <summary>Block size of class <paramref name="index"/>.</summary>
    public static int SizeOf(int index)
    {
        int k = (index / StepsPerPowerOfTwo) + MinShift;
        int step = index % StepsPerPowerOfTwo;
        return (1 << k) + (step * (1 << (k - 2)));
    }
}
