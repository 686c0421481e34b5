using Microsoft.Win32.SafeHandles;

namespace Orleans.Tts.Synthesis.Text.Japanese;

internal sealed class MecabModelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public MecabModelHandle() : base(ownsHandle: true) { }

    public MecabModelHandle(nint model) : this() => SetHandle(model);

    protected override bool ReleaseHandle()
    {
        MecabNative.ModelDestroy(handle);
        return true;
    }
}

/// <summary>
/// A tagger or lattice borrows the model's dictionary (node features point into it), so it holds a
/// reference on the model handle: the model is destroyed only after its last child, whatever the
/// order of Dispose calls or finalizers.
/// </summary>
internal abstract class MecabModelChildHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly MecabModelHandle _model;

    protected MecabModelChildHandle(MecabModelHandle model, nint child) : base(ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(child);
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
        SetHandle(child);
    }

    protected abstract void Destroy(nint child);

    protected override bool ReleaseHandle()
    {
        Destroy(handle);
        _model.DangerousRelease();
        return true;
    }
}

internal sealed class MecabTaggerHandle(MecabModelHandle model, nint tagger) : MecabModelChildHandle(model, tagger)
{
    protected override void Destroy(nint child) => MecabNative.TaggerDestroy(child);
}

internal sealed class MecabLatticeHandle(MecabModelHandle model, nint lattice) : MecabModelChildHandle(model, lattice)
{
    protected override void Destroy(nint child) => MecabNative.LatticeDestroy(child);
}
