; movaps xmm0, xmm1 — an SSE instruction the interpreter does not model
bits 64
org 0x100000
movaps xmm0, xmm1
