using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>Base for handles to ONNX Runtime objects; each knows the table holding its release function.</summary>
internal abstract class OrtHandle(OrtApi api) : SafeHandle(0, ownsHandle: true)
{
    protected OrtApi Api { get; } = api;

    public override bool IsInvalid => handle == 0;

    public void Attach(nint value) => SetHandle(value);

    /// <summary>Keeps the native object alive (and Dispose from freeing it) until the lease is disposed.</summary>
    public Lease Acquire()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this);
    }

    public readonly ref struct Lease(OrtHandle owner)
    {
        public nint Pointer => owner.DangerousGetHandle();
        public void Dispose() => owner.DangerousRelease();
    }
}

/// <summary>An <c>OrtEnv</c>.</summary>
internal sealed unsafe class OrtEnvHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseEnv(handle);
        return true;
    }
}

/// <summary>An <c>OrtSession</c>; holds a reference on its environment so the environment outlives it.</summary>
internal sealed unsafe class OrtSessionHandle(OrtApi api, OrtEnvHandle env) : OrtHandle(api)
{
    /// <summary>Takes ownership of a created session; call with the environment leased, so it is still open.</summary>
    public void AttachSession(nint session)
    {
        var added = false;
        env.DangerousAddRef(ref added);
        Attach(session);
    }

    // Runs once the last lease is gone, so a session is never freed under a running Run.
    protected override bool ReleaseHandle()
    {
        Api.ReleaseSession(handle);
        env.DangerousRelease();
        return true;
    }
}

/// <summary>An <c>OrtSessionOptions</c>.</summary>
internal sealed unsafe class OrtSessionOptionsHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseSessionOptions(handle);
        return true;
    }
}

/// <summary>An <c>OrtMemoryInfo</c>.</summary>
internal sealed unsafe class OrtMemoryInfoHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary>An <c>OrtValue</c>.</summary>
internal sealed unsafe class OrtValueHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseValue(handle);
        return true;
    }
}

/// <summary>An <c>OrtTypeInfo</c>.</summary>
internal sealed unsafe class OrtTypeInfoHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseTypeInfo(handle);
        return true;
    }
}

/// <summary>An <c>OrtTensorTypeAndShapeInfo</c> that we own (not one borrowed from a type info).</summary>
internal sealed unsafe class OrtTensorInfoHandle(OrtApi api) : OrtHandle(api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseTensorTypeAndShapeInfo(handle);
        return true;
    }
}
