//! Modules built to stress compilers, one feature grown at a time.
//!
//! Each [`Family`] makes one function whose size is driven by `n` through a
//! single feature (nesting depth, locals, operand-stack depth, `br_table`
//! targets, values carried on branches, loop-carried locals, live values
//! across calls, branches), with everything else small and fixed. A tier
//! that is linear in every feature compiles each family in time and memory
//! proportional to the module's size; one that is not shows a growth
//! exponent above 1 on the family that exposes it. Every module exports
//! `run: [i32] -> [i32]`, which terminates and computes a value that
//! depends on the whole body, so tiers can be checked against each other.

use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction as I,
    Module, TypeSection, ValType,
};

/// A family of stress modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Straight-line code: `n` updates of a local.
    Straight,
    /// `n` nested blocks, each with a `br_if` out of several levels.
    Nesting,
    /// `n` locals, each written and read.
    Locals,
    /// An operand stack `n` values deep, then summed.
    StackDepth,
    /// A `br_table` with `n` targets.
    BrTable,
    /// A block of `n` results, carried by a branch.
    Carried,
    /// A loop that updates `n` locals every iteration.
    LoopLocals,
    /// `n` values live on the stack across a call.
    LiveAcrossCall,
    /// `n` `if` diamonds over locals that are live across all of them.
    IfDiamonds,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 9] = [
        Family::Straight,
        Family::Nesting,
        Family::Locals,
        Family::StackDepth,
        Family::BrTable,
        Family::Carried,
        Family::LoopLocals,
        Family::LiveAcrossCall,
        Family::IfDiamonds,
    ];

    /// The family's name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Straight => "straight",
            Family::Nesting => "nesting",
            Family::Locals => "locals",
            Family::StackDepth => "stack-depth",
            Family::BrTable => "br_table",
            Family::Carried => "carried",
            Family::LoopLocals => "loop-locals",
            Family::LiveAcrossCall => "live-across-call",
            Family::IfDiamonds => "if-diamonds",
        }
    }

    /// About how many bytes of code one unit of `n` adds, so that
    /// [`module_of_size`] can aim at a size.
    fn bytes_per_unit(self) -> usize {
        match self {
            Family::Straight => 8,
            Family::Nesting => 18,
            Family::Locals => 34,
            Family::StackDepth => 7,
            Family::BrTable => 1,
            Family::Carried => 8,
            Family::LoopLocals => 26,
            Family::LiveAcrossCall => 7,
            Family::IfDiamonds => 24,
        }
    }
}

/// A module of `family` whose code is about `bytes` long.
pub fn module_of_size(family: Family, bytes: usize) -> Vec<u8> {
    module(family, (bytes / family.bytes_per_unit()).max(1) as u32)
}

/// The module of `family` with feature size `n`.
pub fn module(family: Family, n: u32) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    let mut locals: Vec<(u32, ValType)> = vec![(1, ValType::I32)];
    let mut f = Vec::new();
    // Local 0: the argument; local 1: an accumulator.
    match family {
        Family::Straight => {
            for i in 0..n {
                f.extend([
                    I::LocalGet(1),
                    I::I32Const((i % 1000) as i32),
                    I::I32Add,
                    I::LocalSet(1),
                ]);
                if i % 16 == 15 {
                    f.extend([I::LocalGet(1), I::LocalGet(0), I::I32Xor, I::LocalSet(1)]);
                }
            }
        }
        Family::Nesting => {
            for _ in 0..n {
                f.push(I::Block(BlockType::Empty));
            }
            for i in 0..n {
                f.extend([I::LocalGet(1), I::I32Const(1), I::I32Add, I::LocalSet(1)]);
                f.extend([
                    I::LocalGet(0),
                    I::I32Const(i as i32),
                    I::I32Eq,
                    I::BrIf((i % 4).min(n - i - 1)),
                ]);
                f.push(I::End);
            }
        }
        Family::Locals => {
            // Each local written and read twice: validators accept at most
            // 50,000 locals, and 1 MiB of code needs ~31,000 at this rate.
            locals.push((n, ValType::I32));
            for round in 0..2 {
                for i in 0..n {
                    f.extend([I::LocalGet(0), I::I32Const((i + round) as i32), I::I32Add, I::LocalSet(2 + i)]);
                }
                for i in 0..n {
                    f.extend([I::LocalGet(1), I::LocalGet(2 + i), I::I32Xor, I::LocalSet(1)]);
                }
            }
        }
        Family::StackDepth => {
            for i in 0..n {
                f.extend([I::LocalGet(0), I::I32Const(i as i32), I::I32Add]);
            }
            for _ in 1..n {
                f.push(I::I32Xor);
            }
            f.push(I::LocalSet(1));
        }
        Family::BrTable => {
            for _ in 0..8 {
                f.push(I::Block(BlockType::Empty));
            }
            let targets: Vec<u32> = (0..n).map(|i| (i * 7) % 8).collect();
            f.extend([I::LocalGet(0), I::BrTable(targets.into(), 7)]);
            for i in 0..8 {
                f.push(I::End);
                f.extend([
                    I::LocalGet(1),
                    I::I32Const(i + 1),
                    I::I32Add,
                    I::LocalSet(1),
                ]);
            }
        }
        Family::Carried => {
            // Blocks returning up to 1,000 values each (validators' limit on
            // results), n in all, each left by a br_if that carries them.
            let chunk = n.min(1000);
            types.ty().function([], vec![ValType::I32; chunk as usize]);
            for b in 0..(n / chunk) {
                f.push(I::Block(BlockType::FunctionType(1)));
                for i in 0..chunk {
                    f.extend([I::LocalGet(0), I::I32Const((i + b) as i32), I::I32Add]);
                }
                f.extend([I::LocalGet(0), I::BrIf(0)]);
                f.push(I::End);
                for _ in 1..chunk {
                    f.push(I::I32Xor);
                }
                f.extend([I::LocalGet(1), I::I32Xor, I::LocalSet(1)]);
            }
        }
        Family::LoopLocals => {
            // Two updates per local and iteration (the locals limit, as
            // above).
            locals.push((n, ValType::I32));
            f.push(I::Loop(BlockType::Empty));
            for round in 0..2 {
                for i in 0..n {
                    let l = 2 + i;
                    let next = 2 + (i + 1 + round) % n;
                    f.extend([I::LocalGet(l), I::LocalGet(next), I::I32Add, I::I32Const(1), I::I32Add, I::LocalSet(l)]);
                }
            }
            f.extend([I::LocalGet(0), I::I32Const(1), I::I32Sub, I::LocalTee(0), I::BrIf(0), I::End]);
            f.extend([I::LocalGet(2), I::LocalSet(1)]);
        }
        Family::LiveAcrossCall => {
            for i in 0..n {
                f.extend([I::LocalGet(0), I::I32Const(i as i32), I::I32Add]);
            }
            // A callee (function 1) that returns its argument + 1.
            f.extend([I::LocalGet(0), I::Call(1)]);
            for _ in 0..n {
                f.push(I::I32Xor);
            }
            f.push(I::LocalSet(1));
        }
        Family::IfDiamonds => {
            locals.push((64, ValType::I32));
            for i in 0..n {
                let a = 2 + (i % 64);
                let b = 2 + ((i * 7 + 3) % 64);
                f.extend([
                    I::LocalGet(a),
                    I::LocalGet(0),
                    I::I32LtS,
                    I::If(BlockType::Empty),
                ]);
                f.extend([
                    I::LocalGet(b),
                    I::I32Const(i as i32),
                    I::I32Add,
                    I::LocalSet(a),
                ]);
                f.push(I::Else);
                f.extend([I::LocalGet(a), I::LocalGet(b), I::I32Xor, I::LocalSet(b)]);
                f.push(I::End);
            }
            for l in 0..64 {
                f.extend([
                    I::LocalGet(1),
                    I::LocalGet(2 + l),
                    I::I32Add,
                    I::LocalSet(1),
                ]);
            }
        }
    }
    f.extend([I::LocalGet(1), I::End]);

    let mut funcs = FunctionSection::new();
    funcs.function(0);
    let callee = family == Family::LiveAcrossCall;
    if callee {
        funcs.function(0);
    }
    let mut code = CodeSection::new();
    let mut body = Function::new(locals);
    for ins in &f {
        body.instruction(ins);
    }
    code.function(&body);
    if callee {
        let mut g = Function::new([]);
        g.instruction(&I::LocalGet(0));
        g.instruction(&I::I32Const(1));
        g.instruction(&I::I32Add);
        g.instruction(&I::End);
        code.function(&g);
    }
    let mut exports = ExportSection::new();
    exports.export("run", ExportKind::Func, 0);
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&exports)
        .section(&code);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_valid_at_every_size() {
        for family in Family::ALL {
            for n in [1, 2, 17, 300] {
                let wasm = module(family, n);
                wasmparser::Validator::new()
                    .validate_all(&wasm)
                    .unwrap_or_else(|e| panic!("{family:?} n={n}: {e}"));
            }
            let big = module_of_size(family, 64 * 1024);
            assert!(
                (40_000..100_000).contains(&big.len()),
                "{family:?}: {} bytes",
                big.len()
            );
            let huge = module_of_size(family, 1 << 20);
            wasmparser::Validator::new().validate_all(&huge).unwrap_or_else(|e| panic!("{family:?} 1 MiB: {e}"));
        }
    }
}
