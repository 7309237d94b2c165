#pragma once
// Embeds a file in the binary at build time (.incbin), so assets need no path at run time.
// Declares `extern "C" const char sym[]` and `sym_end[]`; the file's bytes lie between them,
// followed by a NUL. Use at namespace scope, once per symbol; add the file to the source's
// OBJECT_DEPENDS so a change rebuilds it.

#define CCCI_INCBIN(sym, path)                                    \
  __asm__(".section .rodata\n.global " #sym "\n.balign 16\n" #sym \
          ":\n.incbin \"" path "\"\n.global " #sym "_end\n" #sym  \
          "_end:\n.byte 0\n.previous\n");                         \
  extern "C" const char sym[];                                    \
  extern "C" const char sym##_end[];
