//! What std gave the component and a `no_std` component provides itself: the allocator, the
//! canonical ABI's `cabi_realloc`, and what a panic does.

use core::alloc::{GlobalAlloc, Layout};

// Talc: a dlmalloc-style allocator (binned free lists, boundary tags, neighbours merged on
// free), so freed memory is reused, which a tenant that lives for months needs; a sixth of
// dlmalloc's code. It grows the memory as needed; `new_wasm_dynamic_allocator` is for
// single-threaded wasm, which a component instance is.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic is a bug; it traps, and the host reports the trap for the call. Nothing is
/// formatted or written: the component has no stderr.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocator: the host calls it to place lists and strings it passes in.
/// wit-bindgen defines it for `wasm32-wasip1` only, as wasi-libc does for `wasip2`.
///
/// # Safety
/// The canonical ABI's contract: `old_ptr`/`old_len`/`align` describe a block this function
/// returned (or `old_len` is 0), and `align` is a power of two.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    if new_len == 0 {
        // A zero-sized block needs no memory, only a well-aligned address.
        return align as *mut u8;
    }
    let Ok(layout) = Layout::from_size_align(new_len, align) else {
        core::arch::wasm32::unreachable()
    };
    // SAFETY: `layout` has a non-zero size; on a reallocation the caller vouches that
    // `old_ptr` came from here with `old_len` and `align`.
    let ptr = unsafe {
        if old_len == 0 {
            ALLOCATOR.alloc(layout)
        } else {
            let old = Layout::from_size_align_unchecked(old_len, align);
            ALLOCATOR.realloc(old_ptr, old, new_len)
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}

/// `memcmp`, which slice and string comparisons call: wasi-libc defined it when std was
/// linked, and the wasm target's compiler-builtins leaves it to libc. (`memcpy` and `memset`
/// are the bulk-memory instructions.) A plain loop: the strings compared are short.
///
/// # Safety
/// `a` and `b` are valid for reads of `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: `i < n`, and the caller vouches for `n` bytes at each.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}
