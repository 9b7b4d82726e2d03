//! Bounded execution: fuel counting and epoch checks.
//!
//! Fuel follows the shared scheme of `brisk_environ::fuel`: a function keeps
//! the store's `fuel_consumed` in a variable, adds each straight-line
//! stretch's cost to it where control may leave the stretch, writes it back
//! to the store before calls and returns (and reloads it after calls), and
//! checks it at function entry and at loop headers. Epoch checks sit at the
//! same two places: the engine's epoch counter against the store's
//! deadline. Both trap from a cold block that first writes the fuel
//! variable back, so the store's count is exact when the trap is reported.

use super::FuncTranslator;
use crate::abi::{self, vm_flags, vm_readonly_flags};
use brisk_environ::{FUNCTION_ENTRY_FUEL, FuelSync, SMALL_BULK_OP_FUEL, Trap, VMCTX_RUNTIME_LIMITS, fuel_cost, fuel_sync, runtime_limits};
use cranelift_codegen::ir::{InstBuilder, InstructionData, Opcode, Value, condcodes::IntCC, types};
use cranelift_frontend::Variable;

/// A function's fuel accounting state.
pub(crate) struct Fuel {
    /// The store's `fuel_consumed`, as of the last flush.
    var: Variable,
    /// Cost of the operators since the last flush.
    pending: i64,
}

impl FuncTranslator<'_, '_> {
    /// At function entry, once the entry block is current: load what the
    /// checks need and check fuel and the epoch once.
    pub(crate) fn budget_prologue(&mut self) {
        if !self.tunables.consume_fuel && !self.tunables.epoch_interruption {
            return;
        }
        let limits = self.b.ins().load(types::I64, vm_readonly_flags(), self.vmctx, VMCTX_RUNTIME_LIMITS as i32);
        self.limits = Some(limits);
        if self.tunables.consume_fuel {
            let var = self.b.declare_var(types::I64);
            let consumed = self.b.ins().load(types::I64, vm_flags(), limits, runtime_limits::FUEL_CONSUMED as i32);
            self.b.def_var(var, consumed);
            // The entry's own cost, which the entry check adds first.
            self.fuel = Some(Fuel { var, pending: FUNCTION_ENTRY_FUEL });
        }
        self.budget_checks();
    }

    /// The checks at function entry, at every loop header, and at bulk
    /// operations that are not small constants.
    pub(crate) fn budget_checks(&mut self) {
        let Some(limits) = self.limits else { return };
        self.fuel_flush();
        if let Some(fuel) = &self.fuel {
            let consumed = self.b.use_var(fuel.var);
            let out = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, consumed, 0);
            self.trap_saving_fuel(out, Trap::OutOfFuel);
        }
        if self.tunables.epoch_interruption {
            let counter = self.b.ins().load(types::I64, vm_readonly_flags(), limits, runtime_limits::EPOCH_COUNTER as i32);
            // An atomic load: another thread advances the epoch, and a plain
            // load in a loop without stores would be merged with the one
            // at function entry by Cranelift's redundant-load elimination.
            // On x86-64 it is an ordinary `mov`.
            let epoch = self.b.ins().atomic_load(types::I64, vm_flags(), counter);
            let deadline = self.b.ins().load(types::I64, vm_flags(), limits, runtime_limits::EPOCH_DEADLINE as i32);
            let reached = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
            self.trap_saving_fuel(reached, Trap::Interrupt);
        }
    }

    /// Traps with `trap` if `cond` holds, first writing the fuel variable
    /// back to the store.
    fn trap_saving_fuel(&mut self, cond: Value, trap: Trap) {
        if self.fuel.is_none() {
            self.trapnz(cond, trap);
            return;
        }
        let cold = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(cond, cold, &[], cont, &[]);
        self.b.seal_block(cold);
        self.b.seal_block(cont);
        self.b.switch_to_block(cold);
        self.fuel_save();
        self.b.ins().trap(abi::trap_code(trap));
        self.b.switch_to_block(cont);
    }

    /// Before a reachable operator: charge it and flush or save where the
    /// shared scheme says so.
    pub(crate) fn fuel_before_op(&mut self, op: &wasmparser::Operator<'_>) {
        let Some(fuel) = &mut self.fuel else { return };
        fuel.pending += fuel_cost(op);
        match fuel_sync(op) {
            FuelSync::None => {}
            FuelSync::Flush => self.fuel_flush(),
            // A return saves at the `return` instruction itself (see
            // `fuel_save`'s callers), which also covers branches to the
            // function's end.
            FuelSync::FlushAndStore if matches!(op, wasmparser::Operator::Return) => self.fuel_flush(),
            FuelSync::FlushAndStore => {
                self.fuel_flush();
                self.fuel_save();
            }
        }
    }

    /// Before a bulk operation whose count is `units` (an `i32`): charge
    /// the operator's `fuel_per_unit` per unit, then check as at a loop
    /// header unless the count is a small constant (the shared scheme of
    /// `brisk_environ::fuel`).
    pub(crate) fn bulk_budget(&mut self, units: Value) {
        if self.limits.is_none() {
            return;
        }
        let per_unit = self.bulk_per_unit;
        let constant = self.b.func.dfg.value_def(units).inst().and_then(|inst| match self.b.func.dfg.insts[inst] {
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => Some(i64::from(imm.bits() as u32)),
            _ => None,
        });
        if self.fuel.is_some() && per_unit > 0 {
            match constant {
                Some(n) => {
                    if let Some(fuel) = &mut self.fuel {
                        fuel.pending = fuel.pending.saturating_add(n.saturating_mul(per_unit));
                    }
                }
                None => {
                    self.fuel_flush();
                    if let Some(fuel) = &self.fuel {
                        let var = fuel.var;
                        let n = self.b.ins().uextend(types::I64, units);
                        let cost = self.b.ins().imul_imm_u(n, per_unit);
                        let consumed = self.b.use_var(var);
                        let consumed = self.b.ins().iadd(consumed, cost);
                        self.b.def_var(var, consumed);
                    }
                }
            }
        }
        if constant.is_some_and(|n| n.saturating_mul(per_unit) <= SMALL_BULK_OP_FUEL) {
            return;
        }
        self.budget_checks();
    }

    /// After a call: the callee may have changed the store's fuel.
    pub(crate) fn fuel_after_call(&mut self) {
        if let (Some(fuel), Some(limits)) = (&self.fuel, self.limits) {
            let consumed = self.b.ins().load(types::I64, vm_flags(), limits, runtime_limits::FUEL_CONSUMED as i32);
            self.b.def_var(fuel.var, consumed);
        }
    }

    fn fuel_flush(&mut self) {
        let Some(fuel) = &mut self.fuel else { return };
        if fuel.pending == 0 {
            return;
        }
        let (var, pending) = (fuel.var, std::mem::take(&mut fuel.pending));
        let consumed = self.b.use_var(var);
        let consumed = self.b.ins().iadd_imm_s(consumed, pending);
        self.b.def_var(var, consumed);
    }

    /// Writes the fuel variable back to the store (before a return, a call
    /// or a trap).
    pub(crate) fn fuel_save(&mut self) {
        if let (Some(fuel), Some(limits)) = (&self.fuel, self.limits) {
            let consumed = self.b.use_var(fuel.var);
            self.b.ins().store(vm_flags(), consumed, limits, runtime_limits::FUEL_CONSUMED as i32);
        }
    }
}
