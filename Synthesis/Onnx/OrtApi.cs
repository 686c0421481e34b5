using System.Runtime.InteropServices;
using System.Text;

namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>
/// The part of ONNX Runtime's C API <c>OrtApi</c> function table this binding uses, read once per
/// <see cref="OnnxRuntime"/> from the loaded library. Immutable after construction.
/// </summary>
/// <remarks>
/// The C struct <c>OrtApi</c> is a list of function pointers that ONNX Runtime only ever appends to,
/// so a slot's index is the same in every API version. The indices below are the slot positions in
/// <c>onnxruntime_c_api.h</c> (all of them exist since API version 1).
/// </remarks>
internal sealed unsafe class OrtApi
{
    public const string LibraryFileName = "libonnxruntime.so.1";
    public const string LibraryEnvironmentVariable = "TTS_ONNXRUNTIME_LIBRARY";

    /// <summary>The API version of ONNX Runtime 1.30, the version this binding is built and tested against.</summary>
    public const uint PreferredApiVersion = 30;

    private static class Slot
    {
        public const int CreateStatus = 0;
        public const int GetErrorCode = 1;
        public const int GetErrorMessage = 2;
        public const int CreateEnvWithCustomLogger = 4;
        public const int CreateSession = 7;
        public const int CreateSessionFromArray = 8;
        public const int Run = 9;
        public const int CreateSessionOptions = 10;
        public const int EnableMemPattern = 16;
        public const int DisableMemPattern = 17;
        public const int EnableCpuMemArena = 18;
        public const int DisableCpuMemArena = 19;
        public const int SetSessionGraphOptimizationLevel = 23;
        public const int SetIntraOpNumThreads = 24;
        public const int SetInterOpNumThreads = 25;
        public const int SessionGetInputCount = 30;
        public const int SessionGetOutputCount = 31;
        public const int SessionGetInputTypeInfo = 33;
        public const int SessionGetOutputTypeInfo = 34;
        public const int SessionGetInputName = 36;
        public const int SessionGetOutputName = 37;
        public const int CreateTensorWithDataAsOrtValue = 49;
        public const int GetTensorMutableData = 51;
        public const int CastTypeInfoToTensorInfo = 55;
        public const int GetOnnxTypeFromTypeInfo = 56;
        public const int GetTensorElementType = 60;
        public const int GetDimensionsCount = 61;
        public const int GetDimensions = 62;
        public const int GetTensorTypeAndShape = 65;
        public const int GetValueType = 67;
        public const int CreateCpuMemoryInfo = 69;
        public const int AllocatorFree = 76;
        public const int GetAllocatorWithDefaultOptions = 78;
        public const int ReleaseEnv = 92;
        public const int ReleaseStatus = 93;
        public const int ReleaseMemoryInfo = 94;
        public const int ReleaseSession = 95;
        public const int ReleaseValue = 96;
        public const int ReleaseTypeInfo = 98;
        public const int ReleaseTensorTypeAndShapeInfo = 99;
        public const int ReleaseSessionOptions = 100;
    }

    // Every function returning nint returns an OrtStatus*: null on success.
    public readonly delegate* unmanaged<int, byte*, nint> CreateStatus;
    public readonly delegate* unmanaged<nint, int> GetErrorCode;
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged<delegate* unmanaged<nint, int, byte*, byte*, byte*, byte*, void>, nint, int, byte*, nint*, nint> CreateEnvWithCustomLogger;
    public readonly delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession;
    public readonly delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged<nint, nint> EnableMemPattern;
    public readonly delegate* unmanaged<nint, nint> DisableMemPattern;
    public readonly delegate* unmanaged<nint, nint> EnableCpuMemArena;
    public readonly delegate* unmanaged<nint, nint> DisableCpuMemArena;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged<nint, int*, nint> GetValueType;
    public readonly delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSession;
    public readonly delegate* unmanaged<nint, void> ReleaseValue;
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;

    public string Version { get; }
    public uint ApiVersion { get; }
    public string LibraryPath { get; }

    private OrtApi(nint* t, string version, uint apiVersion, string libraryPath)
    {
        Version = version;
        ApiVersion = apiVersion;
        LibraryPath = libraryPath;
        CreateStatus = (delegate* unmanaged<int, byte*, nint>)t[Slot.CreateStatus];
        GetErrorCode = (delegate* unmanaged<nint, int>)t[Slot.GetErrorCode];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)t[Slot.GetErrorMessage];
        CreateEnvWithCustomLogger = (delegate* unmanaged<delegate* unmanaged<nint, int, byte*, byte*, byte*, byte*, void>, nint, int, byte*, nint*, nint>)t[Slot.CreateEnvWithCustomLogger];
        CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)t[Slot.CreateSession];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)t[Slot.CreateSessionFromArray];
        Run = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)t[Slot.Run];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)t[Slot.CreateSessionOptions];
        EnableMemPattern = (delegate* unmanaged<nint, nint>)t[Slot.EnableMemPattern];
        DisableMemPattern = (delegate* unmanaged<nint, nint>)t[Slot.DisableMemPattern];
        EnableCpuMemArena = (delegate* unmanaged<nint, nint>)t[Slot.EnableCpuMemArena];
        DisableCpuMemArena = (delegate* unmanaged<nint, nint>)t[Slot.DisableCpuMemArena];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)t[Slot.SetSessionGraphOptimizationLevel];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[Slot.SetIntraOpNumThreads];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[Slot.SetInterOpNumThreads];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)t[Slot.SessionGetInputCount];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)t[Slot.SessionGetOutputCount];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[Slot.SessionGetInputTypeInfo];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[Slot.SessionGetOutputTypeInfo];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[Slot.SessionGetInputName];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[Slot.SessionGetOutputName];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)t[Slot.CreateTensorWithDataAsOrtValue];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)t[Slot.GetTensorMutableData];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)t[Slot.CastTypeInfoToTensorInfo];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)t[Slot.GetOnnxTypeFromTypeInfo];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)t[Slot.GetTensorElementType];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)t[Slot.GetDimensionsCount];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)t[Slot.GetDimensions];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)t[Slot.GetTensorTypeAndShape];
        GetValueType = (delegate* unmanaged<nint, int*, nint>)t[Slot.GetValueType];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)t[Slot.CreateCpuMemoryInfo];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)t[Slot.AllocatorFree];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)t[Slot.GetAllocatorWithDefaultOptions];
        ReleaseEnv = (delegate* unmanaged<nint, void>)t[Slot.ReleaseEnv];
        ReleaseStatus = (delegate* unmanaged<nint, void>)t[Slot.ReleaseStatus];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)t[Slot.ReleaseMemoryInfo];
        ReleaseSession = (delegate* unmanaged<nint, void>)t[Slot.ReleaseSession];
        ReleaseValue = (delegate* unmanaged<nint, void>)t[Slot.ReleaseValue];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)t[Slot.ReleaseTypeInfo];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)t[Slot.ReleaseTensorTypeAndShapeInfo];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)t[Slot.ReleaseSessionOptions];
    }

    /// <summary>Loads the library (see <see cref="Resolve"/>) and reads its function table.</summary>
    public static OrtApi Load(string? libraryPath)
    {
        var (library, path) = Resolve(libraryPath);
        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBaseExport))
            throw new DllNotFoundException($"'{path}' is not an ONNX Runtime library: it has no OrtGetApiBase export.");

        // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
        var apiBase = ((delegate* unmanaged<nint*>)getApiBaseExport)();
        var getApi = (delegate* unmanaged<uint, nint*>)apiBase[0];
        var getVersionString = (delegate* unmanaged<byte*>)apiBase[1];
        var version = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "";

        // Asking for a version the library lacks makes it print to stderr, so ask for the library's own
        // version (its minor number is its API version) when it is older than ours.
        var apiVersion = PreferredApiVersion;
        var parts = version.Split('.');
        if (parts.Length >= 2 && parts[0] == "1" && uint.TryParse(parts[1], out var minor) && minor < apiVersion)
            apiVersion = minor;
        var table = getApi(apiVersion);
        if (table == null)
            throw new DllNotFoundException(
                $"ONNX Runtime {version} at '{path}' does not support C API version {apiVersion}. " +
                $"Install ONNX Runtime 1.30 with scripts/install-onnxruntime.sh.");
        return new OrtApi(table, version, apiVersion, path);
    }

    /// <summary>
    /// Finds the library: an explicit path, else <c>TTS_ONNXRUNTIME_LIBRARY</c>, else
    /// <c>libonnxruntime.so.1</c> next to the application, else the system's default search.
    /// </summary>
    private static (nint Handle, string Path) Resolve(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return (LoadFile(explicitPath, "the path given to OnnxRuntime.Create"), explicitPath);

        var fromEnvironment = Environment.GetEnvironmentVariable(LibraryEnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return (LoadFile(fromEnvironment, $"${LibraryEnvironmentVariable}"), fromEnvironment);

        var besideApp = Path.Combine(AppContext.BaseDirectory, LibraryFileName);
        if (File.Exists(besideApp))
            return (LoadFile(besideApp, "the application directory"), besideApp);

        if (NativeLibrary.TryLoad(LibraryFileName, out var handle))
            return (handle, LibraryFileName);

        throw new DllNotFoundException(
            $"ONNX Runtime ({LibraryFileName}) was not found: not in ${LibraryEnvironmentVariable}, not in " +
            $"'{AppContext.BaseDirectory}', not on the library search path. Install it with " +
            "scripts/install-onnxruntime.sh and rebuild (the build copies it next to the binaries), " +
            $"or set {LibraryEnvironmentVariable} to the library's path.");
    }

    private static nint LoadFile(string path, string source)
    {
        if (!File.Exists(path))
            throw new DllNotFoundException(
                $"ONNX Runtime library '{path}' (from {source}) does not exist. " +
                "Install it with scripts/install-onnxruntime.sh.");
        try
        {
            return NativeLibrary.Load(Path.GetFullPath(path));
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                $"ONNX Runtime library '{path}' (from {source}) could not be loaded: {e.Message} " +
                "Reinstall it with scripts/install-onnxruntime.sh.", e);
        }
    }

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status, releasing the status.</summary>
    public void Check(nint status, string context)
    {
        if (status != 0)
            throw ToException(status, context);
    }

    public OnnxRuntimeException ToException(nint status, string context)
    {
        try
        {
            var code = (OnnxErrorCode)GetErrorCode(status);
            var message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "";
            return new OnnxRuntimeException(code, message, context);
        }
        finally
        {
            ReleaseStatus(status);
        }
    }

    /// <summary>Reads and frees a string ONNX Runtime allocated with the default allocator.</summary>
    public string TakeAllocatedString(byte* text)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)text) ?? "";
        }
        finally
        {
            nint allocator;
            Check(GetAllocatorWithDefaultOptions(&allocator), "getting the default allocator");
            Check(AllocatorFree(allocator, text), "freeing a string");
        }
    }

    /// <summary>A null-terminated UTF-8 copy of <paramref name="text"/> for native calls.</summary>
    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
