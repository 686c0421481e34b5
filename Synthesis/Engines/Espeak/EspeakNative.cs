using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>P/Invoke surface of <c>libespeak-ng.so.1</c> (speak_lib.h of eSpeak NG 1.51).</summary>
internal static unsafe partial class EspeakNative
{
    private const string Library = "libespeak-ng.so.1";

    public const int AudioOutputSynchronous = 2;
    public const int InitializeDontExit = 0x8000;
    public const int PositionCharacter = 1;
    public const uint CharsUtf8 = 1;
    public const uint EndPause = 0x1000;
    public const int PhonemesIpa = 0x02;
    /// <summary>Bits 8–23 hold a tie character written between the letters of multi-letter phonemes.</summary>
    public const int PhonemesTie = 0x80;
    public const int EventListTerminated = 0;

    public enum Parameter
    {
        Rate = 1,
        Volume = 2,
        Pitch = 3,
        Range = 4,
        Punctuation = 5,
        Capitals = 6,
        WordGap = 7,
    }

    public const int EventWord = 1;

    /// <summary>espeak_EVENT: what the synth callback's event list holds (a list ends with an event of type 0).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Event
    {
        public int Type;
        public uint UniqueIdentifier;
        /// <summary>1-based character (code point) position of the word in the text of the espeak_Synth call.</summary>
        public int TextPosition;
        /// <summary>The word's length in characters.</summary>
        public int Length;
        public int AudioPosition;
        /// <summary>The sample, counted from the start of the espeak_Synth call, where the word starts.</summary>
        public int Sample;
        public nint UserData;
        public nint Id;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int SynthCallback(short* wav, int numSamples, nint events);

    [StructLayout(LayoutKind.Sequential)]
    public struct Voice
    {
        public nint Name;
        public nint Languages;
        public nint Identifier;
        public byte Gender;
        public byte Age;
        public byte Variant;
        public byte Xx1;
        public int Score;
        public nint Spare;
    }

    [LibraryImport(Library, EntryPoint = "espeak_Initialize")]
    public static partial int Initialize(int output, int bufferMilliseconds, nint path, int options);

    [LibraryImport(Library, EntryPoint = "espeak_SetSynthCallback")]
    public static partial void SetSynthCallback(nint callback);

    [LibraryImport(Library, EntryPoint = "espeak_SetVoiceByName", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetVoiceByName(string name);

    [LibraryImport(Library, EntryPoint = "espeak_SetParameter")]
    public static partial int SetParameter(Parameter parameter, int value, int relative);

    [LibraryImport(Library, EntryPoint = "espeak_Synth")]
    public static partial int Synth(byte* text, nuint size, uint position, int positionType, uint endPosition, uint flags, uint* uniqueIdentifier, nint userData);

    [LibraryImport(Library, EntryPoint = "espeak_Synchronize")]
    public static partial int Synchronize();

    [LibraryImport(Library, EntryPoint = "espeak_ListVoices")]
    public static partial Voice** ListVoices(Voice* spec);

    [LibraryImport(Library, EntryPoint = "espeak_TextToPhonemes")]
    public static partial nint TextToPhonemes(byte** textPointer, int textMode, int phonemeMode);

    [LibraryImport(Library, EntryPoint = "espeak_Info")]
    public static partial nint Info(nint pathData);

    [LibraryImport(Library, EntryPoint = "espeak_Terminate")]
    public static partial int Terminate();
}
