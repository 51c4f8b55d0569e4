/* bcryptprimitives.dll for Wine 8 (Debian bookworm), which lacks it.
 *
 * Rust's std (since 1.78) gets its random bytes (HashMap seeds) from ProcessPrng in
 * bcryptprimitives.dll and loads it at start-up: without this DLL every Rust program
 * exits before main under Wine 8. Wine 9 ships the real one. This stand-in forwards to
 * RtlGenRandom (advapi32!SystemFunction036), Wine's CSPRNG since forever.
 * Built and installed into the Wine prefix's system32 by .ci/windows.sh:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
