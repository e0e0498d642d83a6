#!/usr/bin/env bash
# RUSTC_WRAPPER for the instrumented build (fuzz/run.sh). cargo-afl compiles every crate with
# AFL coverage instrumentation at opt-level 3 in one codegen unit, yet the fuzz targets never
# run the HTTP, TLS and async stack, the thread pool, hashing, nor what only runs at build
# time (build scripts, proc macros and their parsers): those crates are compiled here without
# instrumentation at opt-level 0. Crates the parsers do run but whose insides are no parser's
# logic (the regex engine, memchr) are compiled without instrumentation at opt-level 1.
# Every other crate keeps cargo-afl's flags. A crate missing from the lists is only built
# slower; one listed by mistake only loses coverage inside it. Measured: 10m19s -> 6m44s of
# CPU for `cargo afl build --release -p pylock-fuzz` from scratch.
set -euo pipefail
rustc=$1
shift

name='' crate_type='' prev=''
for arg in "$@"; do
    case $prev in
    --crate-name) name=$arg ;;
    --crate-type) crate_type=$arg ;;
    esac
    prev=$arg
done

plain=0 # 0: cargo-afl's flags; else the opt-level, uninstrumented
case $crate_type in proc-macro) plain=o0 ;; esac
case $name in
build_script_* | syn | quote | proc_macro2 | unicode_ident | *_derive | *_impl | *_macros | \
    synstructure | displaydoc | pin_project_internal | \
    tokio | tokio_rustls | mio | socket2 | hyper | hyper_util | hyper_rustls | h2 | http_body | \
    http_body_util | reqwest | tower | tower_http | tower_layer | tower_service | want | \
    try_lock | httparse | httpdate | atomic_waker | sync_wrapper | ipnet | futures_util | \
    futures_core | futures_channel | futures_task | futures_sink | futures_io | slab | \
    pin_project | pin_project_lite | pin_utils | tracing | tracing_core | async_compression | \
    compression_codecs | compression_core | rustls | rustls_webpki | webpki | webpki_roots | \
    rustls_native_certs | rustls_pki_types | openssl_probe | ring | untrusted | zeroize | \
    subtle | getrandom | cc | shlex | find_msvc_tools | rayon | rayon_core | crossbeam_deque | \
    crossbeam_epoch | crossbeam_utils | http_cache_semantics | dirs | dirs_sys | option_ext | \
    sha2 | digest | block_buffer | crypto_common | generic_array | typenum | cpufeatures | \
    base64 | mime | serde_urlencoded | encoding_rs | bytes | libc | errno | signal_hook_registry | \
    parking_lot | parking_lot_core | lock_api | scopeguard | version_check | autocfg | \
    rustc_version | semver | pkg_config | time | time_core | time_macros | deranged | \
    num_conv | powerfmt | indicatif | console)
    plain=o0
    ;;
regex | regex_automata | regex_syntax | aho_corasick | memchr)
    plain=o1
    ;;
esac

if [ "$plain" = 0 ]; then
    exec "$rustc" "$@"
fi

args=()
pending_c=0
for arg in "$@"; do
    if [ "$arg" = -C ]; then
        # Decided with its value, the next argument.
        pending_c=1
        continue
    fi
    if [ "$pending_c" = 1 ]; then
        pending_c=0
        case $arg in
        passes=sancov* | llvm-args=-sanitizer-coverage* | codegen-units=* | opt-level=*) continue ;;
        esac
        args+=(-C "$arg")
        continue
    fi
    case $arg in
    -Cpasses=sancov* | -Cllvm-args=-sanitizer-coverage* | -Ccodegen-units=* | -Copt-level=*) continue ;;
    esac
    args+=("$arg")
done
exec "$rustc" "${args[@]}" -C "opt-level=${plain#o}"
