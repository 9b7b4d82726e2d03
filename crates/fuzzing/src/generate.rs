//! Inputs: wasm-smith modules from arbitrary bytes, and seeded bytes.

use arbitrary::{Result, Unstructured};
use wasm_smith::{Config, Module};

/// A xorshift64* generator: the smoke test and the drivers derive every
/// input from a seed with it, so a seed names an input on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        // Mix the seed so that neighbouring seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend(self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// The input bytes of `seed`: 256 bytes to 16 KiB, a length chosen by the
/// seed, so modules range from tiny to a dozen functions.
pub fn seed_bytes(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let len = 256 + rng.below(16 << 10) as usize;
    rng.bytes(len)
}

/// What a generated module may contain beyond its code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// No start function (the artifact target instantiates mutated
    /// artifacts without calling into them).
    pub no_start: bool,
}

/// wasm-smith's configuration: WebAssembly 2.0 (SIMD, reference types,
/// bulk memory, multi-value, sign extension, saturating conversions) and
/// nothing later, no imports, everything exported, NaNs canonicalised
/// (the spec lets a NaN result carry any payload; wasm-smith's
/// `canonicalize_nans` rewrites every float result so that runs are
/// deterministic). Sizes are bounded so that one module compiles and runs
/// on every engine in a few milliseconds; memories and tables have a
/// maximum, so growth fails at the same point everywhere.
pub fn smith_config(u: &mut Unstructured<'_>, shape: Shape) -> Result<Config> {
    Ok(Config {
        min_funcs: 1,
        max_funcs: u.int_in_range(1..=12)?,
        max_instructions: u.int_in_range(8..=400)?,
        max_nesting_depth: u.int_in_range(1..=12)?,
        max_types: 24,
        max_globals: 12,
        max_imports: 0,
        max_exports: 64,
        export_everything: true,
        allow_start_export: !shape.no_start,
        max_memories: 1,
        max_memory32_bytes: 4 << 16,
        memory_max_size_required: true,
        max_tables: 3,
        max_table_elements: 64,
        table_max_size_required: true,
        max_elements: 32,
        max_element_segments: 8,
        max_data_segments: 8,
        canonicalize_nans: true,
        simd_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        relaxed_simd_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        tail_call_enabled: false,
        threads_enabled: false,
        memory64_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        shared_everything_threads_enabled: false,
        ..Config::default()
    })
}

/// A module and the bytes left for the arguments of its calls.
#[derive(Clone, Debug)]
pub struct SmithInput {
    /// The module's binary.
    pub wasm: Vec<u8>,
    /// Bytes from which arguments are drawn.
    pub args: Vec<u8>,
}

/// Splits `data` into a module (its first three quarters, read by
/// wasm-smith) and argument bytes (the rest).
pub fn smith_input(data: &[u8], shape: Shape) -> Result<SmithInput> {
    let split = data.len() * 3 / 4;
    let mut u = Unstructured::new(&data[..split]);
    let config = smith_config(&mut u, shape)?;
    let module = Module::new(config, &mut u)?;
    Ok(SmithInput { wasm: module.to_bytes(), args: data[split..].to_vec() })
}

/// The smith input of a seed (see [`seed_bytes`]).
pub fn smith_seed(seed: u64, shape: Shape) -> SmithInput {
    // wasm-smith treats exhausted input as "stop here"; an error is only
    // possible for a config it cannot satisfy, which ours never is.
    smith_input(&seed_bytes(seed), shape).expect("wasm-smith accepts any input with this config")
}
