//! Fuel: the one cost table every tier charges, and where tiers account it.
//!
//! A program burns the same fuel on every tier, so the cost of an operator
//! is defined here once. The defaults are Wasmtime's, so fuel budgets carry
//! over: 0 for operators that do no work of their own (`nop`, `drop`,
//! `block`, `loop`, `else`, `end`, `unreachable`, `return`), 1 for every
//! other operator.
//!
//! How a tier accounts it (also Wasmtime's scheme, so a call that completes
//! consumes exactly what it does there):
//!
//! * Entering a function costs [`FUNCTION_ENTRY_FUEL`], charged before
//!   the check at its entry (Wasmtime 48 starts every function's running
//!   count at 1, "even empty functions should consume at least some
//!   fuel", and its entry check adds that count before comparing): a call
//!   with one unit left traps there.
//! * The store keeps `fuel_consumed`, a negative count that rises towards
//!   zero (`VMRuntimeLimits::fuel_consumed`); fuel left is its negation.
//! * An operator's cost is charged before the operator runs.
//! * Fuel is *checked* only at function entry and at every loop header:
//!   when `fuel_consumed >= 0` there, execution stops with
//!   [`Trap::OutOfFuel`](crate::Trap::OutOfFuel). Straight-line code between
//!   checks always finishes, so the check points, not each operator, decide
//!   when a program runs out, and every tier must check at the same points.
//! * [`FuelSync`] says where a native tier must bring its running count up
//!   to date: before control leaves straight-line code, and, around calls
//!   and returns, in the store itself, since other functions read it there.
//! * Bulk operations whose work is proportional to an operand (the count on
//!   top of the stack: `memory.copy/fill/init`, `table.copy/fill/init/grow`)
//!   cost [`fuel_per_unit`] per byte or element more, charged before they
//!   run (before their bounds check), and are then a check point like a
//!   loop header (the check flushes the running count first), except when
//!   the count is a constant whose cost is at most [`SMALL_BULK_OP_FUEL`].
//!   Wasmtime 48's defaults again ("constant" meaning an `iconst` in the
//!   compiled code: an operand produced by a constant instruction).

use wasmparser::Operator;

/// Fuel an entry into a function costs: every tier starts a function's
/// pending count at it, which the check at function entry adds first.
pub const FUNCTION_ENTRY_FUEL: i64 = 1;

/// Fuel an operator costs.
pub fn fuel_cost(op: &Operator<'_>) -> i64 {
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::Unreachable
        | Operator::Return
        | Operator::Else
        | Operator::End => 0,
        _ => 1,
    }
}

/// Extra fuel per unit (byte or element) of a bulk operation's count, which
/// is the operand on top of the stack; `None` for other operators.
pub fn fuel_per_unit(op: &Operator<'_>) -> Option<i64> {
    match op {
        Operator::MemoryCopy { .. }
        | Operator::MemoryFill { .. }
        | Operator::MemoryInit { .. }
        | Operator::TableCopy { .. }
        | Operator::TableFill { .. }
        | Operator::TableInit { .. }
        | Operator::TableGrow { .. } => Some(1),
        // `memory.grow` has no charge per page.
        _ => None,
    }
}

/// A bulk operation with a constant count costing at most this much is not
/// a fuel check point.
pub const SMALL_BULK_OP_FUEL: i64 = 128;

/// What a tier that buffers fuel in a register must do before an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuelSync {
    /// Nothing: the cost joins the running count of the straight-line stretch.
    None,
    /// Add the stretch's count to the function's fuel variable: control may
    /// go elsewhere (branches, `if`, `else`, `end`, and `loop`, so that code
    /// before a loop is charged once, not per iteration).
    Flush,
    /// Flush, then store the variable in the store: control leaves the
    /// function (calls, returns, traps). After a call, reload it.
    FlushAndStore,
}

/// Where an operator ends a stretch of fuel accounting.
pub fn fuel_sync(op: &Operator<'_>) -> FuelSync {
    match op {
        Operator::Unreachable
        | Operator::Return
        | Operator::Call { .. }
        | Operator::CallIndirect { .. }
        | Operator::ReturnCall { .. }
        | Operator::ReturnCallIndirect { .. }
        | Operator::CallRef { .. }
        | Operator::ReturnCallRef { .. } => FuelSync::FlushAndStore,
        Operator::Loop { .. }
        | Operator::If { .. }
        | Operator::Br { .. }
        | Operator::BrIf { .. }
        | Operator::BrTable { .. }
        | Operator::BrOnNull { .. }
        | Operator::BrOnNonNull { .. }
        | Operator::End
        | Operator::Else => FuelSync::Flush,
        _ => FuelSync::None,
    }
}

/// Does a call-like operator need the fuel variable reloaded after it?
pub fn fuel_reload_after(op: &Operator<'_>) -> bool {
    matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_costs_are_wasmtimes() {
        assert_eq!(fuel_per_unit(&Operator::MemoryFill { mem: 0 }), Some(1));
        assert_eq!(fuel_per_unit(&Operator::TableGrow { table: 0 }), Some(1));
        assert_eq!(fuel_per_unit(&Operator::MemoryGrow { mem: 0 }), None);
        assert_eq!(fuel_per_unit(&Operator::I32Add), None);
    }

    #[test]
    fn costs_are_wasmtimes() {
        for op in [Operator::Nop, Operator::Drop, Operator::Unreachable, Operator::Return, Operator::Else, Operator::End]
        {
            assert_eq!(fuel_cost(&op), 0, "{op:?}");
        }
        let bt = wasmparser::BlockType::Empty;
        assert_eq!(fuel_cost(&Operator::Block { blockty: bt }), 0);
        assert_eq!(fuel_cost(&Operator::Loop { blockty: bt }), 0);
        assert_eq!(fuel_cost(&Operator::If { blockty: bt }), 1);
        assert_eq!(fuel_cost(&Operator::I32Add), 1);
        assert_eq!(fuel_cost(&Operator::Call { function_index: 0 }), 1);
        assert_eq!(fuel_cost(&Operator::LocalGet { local_index: 0 }), 1);
    }
}
