namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>ONNX Runtime's <c>OrtErrorCode</c>.</summary>
public enum OnnxErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
    ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13,
    NotFound = 14,
}

/// <summary>An error reported by ONNX Runtime through a non-null <c>OrtStatus</c>.</summary>
public sealed class OnnxRuntimeException(OnnxErrorCode errorCode, string ortMessage, string context)
    : Exception($"ONNX Runtime failed {context}: [{errorCode}] {ortMessage}")
{
    /// <summary>The error code ONNX Runtime reported.</summary>
    public OnnxErrorCode ErrorCode { get; } = errorCode;

    /// <summary>ONNX Runtime's own message, unchanged.</summary>
    public string OrtMessage { get; } = ortMessage;
}
