using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// The address range of a reader's mapping after the reader was disposed, kept readable for as long as
/// anything that may point into it is reachable (it is held by the <see cref="MappedMemory"/> that every
/// record's payload references), and released by this handle's critical finalizer after that.
/// </summary>
/// <remarks>
/// <para>
/// Why: a payload span is a raw pointer. A span taken before the reader is disposed (or taken by a
/// <see cref="MappedMemory.GetSpan"/> whose disposed check passed just before a racing dispose) may be read
/// after it; a plain munmap would make that read a SIGSEGV. A lease/ref-count cannot cover it, because a
/// <see cref="Span{T}"/> has no release hook: the guard would cover getting the span, not using it.
/// </para>
/// <para>
/// How (Linux, macOS, FreeBSD): the file mapping is replaced, atomically and at the same address, by an
/// anonymous private read-only mapping (mmap MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS, PROT_READ). Any thread
/// reading the range sees either the file's bytes or zeros, never a hole. The file's pages and descriptor are
/// released at once (the file can be deleted and its memory freed); what stays is address space and one VMA,
/// whose zero pages all share the kernel's zero page. Elsewhere, or if that mmap fails, the file mapping itself
/// stays (a deferred unmap) until this handle is finalized.
/// </para>
/// <para>
/// Residual assumption: a span must not outlive every reference to its memory. A span read after its reader
/// was disposed AND became unreachable AND every <see cref="ReadOnlyMemory{T}"/>/record over it became
/// unreachable AND a garbage collection finalized this handle could still fault. Code that keeps the record
/// (or the Memory) while using its span, as every delivery path here does, is never exposed.
/// </para>
/// </remarks>
internal sealed class RetiredMapping : SafeHandle
{
    private readonly nuint _length;
    private readonly SafeHandle? _deferredView;

    private RetiredMapping(nint address, nuint length, SafeHandle? deferredView)
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
        _length = length;
        _deferredView = deferredView;
        SetHandle(address);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Whether the range now reads as zeros (false: the file mapping itself was kept).</summary>
    public bool IsZeroPlaceholder => _deferredView is null;

    /// <summary>
    /// Retires the range [<paramref name="address"/>, +<paramref name="length"/>) of <paramref name="view"/>,
    /// whose pointer the caller acquired (<see cref="SafeHandle.DangerousAddRef"/>) and hands over here: that
    /// reference is never released on the zero path, so the runtime never unmaps the range under us; on the
    /// deferred path it is released when this handle is finalized, which lets the runtime unmap the view.
    /// </summary>
    public static unsafe RetiredMapping Retire(byte* address, nuint length, SafeHandle view)
    {
        if (Libc.SupportsZeroPlaceholder && TryPlaceZeros(address, length))
        {
            return new RetiredMapping((nint)address, length, deferredView: null);
        }

        return new RetiredMapping((nint)address, length, view);
    }

    /// <summary>
    /// Replaces the range with zero pages. False (the file mapping then stays, deferred) if mmap fails or libc
    /// cannot be loaded: Dispose must not throw for want of an optimisation.
    /// </summary>
    private static unsafe bool TryPlaceZeros(byte* address, nuint length)
    {
        try
        {
            // Safe: the range is exactly the view's mapping, which the caller owns and no one else remaps.
            // MAP_FIXED replaces the old pages in one step, so concurrent readers never see it unmapped.
            return Libc.Mmap((nint)address, length, Libc.ProtRead, Libc.MapFixed | Libc.MapPrivate | Libc.MapAnonymous, -1, 0) == (nint)address;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    protected override bool ReleaseHandle()
    {
        if (_deferredView is not null)
        {
            // The runtime unmaps the view once its last reference (ours) goes.
            _deferredView.DangerousRelease();
            return true;
        }

        return Libc.Munmap(handle, _length) == 0;
    }
}
