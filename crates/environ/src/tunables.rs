/// Settings that change the code compiled for a module, so an artifact
/// records them and is refused by an engine with other values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tunables {
    /// Bytes of address space reserved for each linear memory. With at least
    /// 4 GiB for a 32-bit memory, compiled code needs no bounds check for the
    /// index itself.
    pub memory_reservation: u64,
    /// Bytes of inaccessible guard region after each memory's reservation.
    /// A static offset plus access size that fits in the guard needs no
    /// bounds check either.
    pub memory_guard_size: u64,
    /// Compiled code counts fuel (see `fuel.rs`) and traps with `OutOfFuel`
    /// when a store's fuel runs out.
    pub consume_fuel: bool,
    /// Compiled code checks the engine's epoch against the store's
    /// deadline at function entries and loop headers and traps with
    /// `Interrupt` when it is reached.
    pub epoch_interruption: bool,
    /// Calls from one defined function to another, and the host-to-wasm
    /// trampolines, reach the callee through its funcref's native entry in
    /// the vmctx rather than by a direct `call`, so the runtime can replace
    /// a function's code while the module runs (tier-up) with one store.
    pub indirect_calls: bool,
    /// Baseline code counts calls and loop iterations per function in the
    /// module's tier-up counters (`VMCTX_TIER_UP_COUNTERS`) and calls the
    /// `TierUpHot` builtin when a function's counter runs out.
    pub tier_up_counters: bool,
    /// Every function and trampoline gets native unwind info (`.eh_frame`,
    /// registered with the system unwinder while its code is loaded), so
    /// that the system unwinder walks through wasm frames.
    pub native_unwind_info: bool,
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            memory_reservation: 1 << 32,
            memory_guard_size: 1 << 31,
            consume_fuel: false,
            epoch_interruption: false,
            indirect_calls: false,
            tier_up_counters: false,
            native_unwind_info: false,
        }
    }
}

impl Tunables {
    /// Can a memory access to a 32-bit memory with this static offset and
    /// access size skip its explicit bounds check, relying on guard pages?
    pub fn elide_bounds_check(&self, memory64: bool, offset: u64, access_size: u64) -> bool {
        !memory64
            && self.memory_reservation >= (1 << 32)
            && offset.saturating_add(access_size) <= self.memory_guard_size
    }
}
