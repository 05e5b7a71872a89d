#!/usr/bin/env python3
"""Splits a `--perf` profile of the API into the parts the README's *What the CPU is made of* names.

    perf script -i DIR/regenerate.perf.data -F comm,tid,ip,sym,dso > regenerate.txt
    scripts/perf-shares.py regenerate.txt 61     # 61: the API's CPU µs per request in the recorded round

Each sample goes to the first of these that its stack shows: a system call's samples to what the call is for, the
rest to the innermost managed frame that names a part. Frames of the JSON library, of the runtime's strings,
collections and crypto wrappers go to their caller; OpenSSL's, ICU's and the JIT's native frames are lines of their own.
"""
import collections
import re
import sys

SKIP = re.compile(r'\[(System\.Text\.Json|System\.Collections|System\.Collections\.Concurrent|System\.Linq|System\.Memory|System\.Text\.Encodings\.Web|System\.Runtime|System\.Private\.Uri|System\.Runtime\.Intrinsics|System\.Collections\.Immutable|System\.Security\.Cryptography|System\.IO\.Hashing|Microsoft\.Net\.Http\.Headers)\]|\[System\.Private\.CoreLib\] System\.(String|Span|SpanHelpers|Buffer|Text\.|Collections|Number|Globalization|DateTime|Runtime\.CompilerServices\.(CastHelpers|VirtualDispatch|RuntimeHelpers|Unsafe)|Convert|MemoryExtensions|Buffers|Array|Guid|Random|Math|Memory|ReadOnlySpan|Enum|Object|Int|UInt|HashCode|Marvin)')
CATS = [
  ("the call deadlines (request context, both filters)", re.compile(r'CallDeadlines|Orleans\.Runtime\.RequestContext|RequestContextExtensions|DictionaryCopier')),
  ("verifying the key: the JWT library's reader, the HMAC call", re.compile(r'TokenVerifier|SigningKey::Verifies|JsonWebTokens\.JsonWebToken[:+]|JsonClaimSet|SymmetricSignatureProvider::Verify|IdentityModel\.Tokens\.Json|IdentityModel\.Tokens\.Utility|Base64UrlEncoder|SigningKeyRing')),
  ("signing the USER token", re.compile(r'TokenIssuer|JsonWebTokenHandler::|SymmetricSignatureProvider::Sign|JwtTokenUtilities|TokenPayload')),
  ("the grain's turn (our code)", re.compile(r'\[Sessions\.Grains\]')),
  ("the grain call (Orleans messaging and scheduling)", re.compile(r'\[Orleans\.')),
  ("the per-address rate limiter", re.compile(r'RateLimit')),
  ("metrics (OpenTelemetry, ASP.NET Core's and ours)", re.compile(r'OpenTelemetry|RequestMetricsMiddleware|SessionsMetrics|System\.Diagnostics\.Metrics|HostingMetrics')),
  ("the request's activity and log scope", re.compile(r'HostingApplicationDiagnostics|System\.Diagnostics\.Activity|\[System\.Diagnostics\.DiagnosticSource\]|Microsoft\.Extensions\.Logging')),
  ("reading the request, writing the envelope", re.compile(r'AuthRequest|FieldReader|DeviceRequest|Sessions\.Api\.Envelope\.Envelope(Writer|Json|Result)|JsonText|IdentifierRules|ApiEnvelope')),
  ("the handler and the audit", re.compile(r'AuthHandlers|AuthServices|AuthAudit|IdempotentRetry|DeviceSessionReferences|GrainKeys|\[Sessions\.Api\]')),
  ("ASP.NET Core routing, endpoint and middleware", re.compile(r'Microsoft\.AspNetCore\.(Routing|Http|Hosting|Builder|HttpOverrides|Cors)|EnvelopeErrorMiddleware|Microsoft\.Extensions\.DependencyInjection')),
  ("Kestrel (HTTP parsing and writing, pipes, sockets)", re.compile(r'Kestrel|System\.IO\.Pipelines|System\.Net\.Sockets|Microsoft\.AspNetCore\.Connections|\[System\.Net\.Primitives\]')),
  ("the runtime's tasks and thread pool", re.compile(r'System\.Threading|CompilerServices\.Async|ExecutionContext|\[System\.Private\.CoreLib\]')),
]
def classify(comm, frames):
    # frames: list of (sym, dso), innermost first
    kernel = [f for f in frames if f[1] == '[kernel.kallsyms]']
    if kernel:
        syscall = any('entry_SYSCALL' in f[0] for f in kernel)
        user = next((f for f in frames if f[1] != '[kernel.kallsyms]'), None)
        if syscall and user:
            s = user[0]
            if 'send' in s: return 'the kernel: send of the answer'
            if 'recv' in s: return 'the kernel: recv'
            if 'epoll_wait' in s: return 'the socket event thread (epoll_wait)'
            if 'sched_yield' in s: return "thread-pool workers spinning before they sleep (sched_yield)"
            if 'futex' in s or 'pthread' in s or 'sem_' in s: return 'threads waking and sleeping (futex)'
            if 'pwrite' in s: return 'the log write (pwrite)'
        return 'the rest of the kernel (page faults, interrupts, other calls)'
    if 'GC' in comm and 'Server' in comm or comm.startswith('.NET BGC') or comm.startswith('.NET Server GC'):
        return "the collector's threads"
    inner = frames[0]
    if 'libcrypto' in inner[1] or 'libssl' in inner[1]: return "OpenSSL: the two HMACs and the token id's random bytes"
    if 'libicu' in inner[1]: return 'ICU: the JWT reader trying claims as dates'
    if 'libclrjit' in inner[1]: return 'the JIT'
    for full, dso in frames:
        if dso.startswith('/tmp/perf-'):
            owner = re.search(r'\[([A-Za-z0-9_.]+)\] ([^\s(]+?)::([^\s(]+)', full)
            sym = f"[{owner.group(1)}] {owner.group(2)}::{owner.group(3)}" if owner else full
            if full.startswith('stub '):
                return "the runtime's native code (allocation, casts, stubs, GC on this thread)"
            if SKIP.search(sym):
                continue
            for name, rx in CATS:
                if rx.search(sym):
                    return name
            return 'other managed code'
    if 'libcoreclr' in inner[1]: return "the runtime's native code (allocation, casts, stubs, GC on this thread)"
    if 'libc.so' in inner[1]:
        if 'memset' in inner[0] or 'memcpy' in inner[0] or 'memmove' in inner[0]: return "the runtime's native code (allocation, casts, stubs, GC on this thread)"
        return 'the C library (clock_gettime, strcmp, free)'
    return 'other native code'
counts = collections.Counter()
comm = None; frames = []
def flush():
    if comm is not None and frames:
        counts[classify(comm, frames)] += 1
for line in open(sys.argv[1], errors='replace'):
    if not line.strip():
        flush(); comm=None; frames=[]; continue
    if not line.startswith('\t') and not line.startswith(' '):
        m = re.match(r'(.*?)\s+(\d+)\s*$', line.rstrip('\n'))
        comm = m.group(1) if m else line.strip(); frames=[]; continue
    m = re.match(r'\s*([0-9a-f]+)\s+(.*)\s+\((.*)\)\s*$', line.rstrip('\n'))
    if m: frames.append((m.group(2), m.group(3)))
flush()
total = sum(counts.values())
scale = float(sys.argv[2])
print(f"| | share | µs of the {sys.argv[2]} |")
print("|---|---:|---:|")
for name, n in counts.most_common():
    print(f"| {name} | {100*n/total:.1f} % | {scale*n/total:.1f} |")
print(f'{total} samples')
