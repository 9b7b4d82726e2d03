//! Structured control flow: blocks, loops, ifs and branches.
//!
//! Each wasm block has a Cranelift `next` block whose parameters are the
//! wasm block's results; a loop also has a `header` block whose parameters
//! are its params. Branches pass the values on top of the operand stack as
//! block arguments, so no local state is copied at merges.

use super::{FuncTranslator, invalid};
use crate::abi;
use brisk_environ::{Trap, WasmError, WasmResult};
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, JumpTableData, Value};

/// What kind of construct a control frame is.
pub(crate) enum FrameKind {
    /// `block`, and the function body.
    Block,
    /// `loop`: branches go back to `header`.
    Loop {
        /// The loop header, with the loop's params as block parameters.
        header: ir::Block,
    },
    /// `if`, before or after its `else`.
    If {
        /// Where the condition goes when false; taken over by `else`.
        else_block: ir::Block,
        /// The `if`'s params, for the else branch.
        params: Vec<Value>,
        /// Has the `else` been seen?
        has_else: bool,
    },
}

/// A frame of the control stack.
pub(crate) struct ControlFrame {
    pub(crate) kind: FrameKind,
    /// Where the construct continues after its end; its parameters are the
    /// construct's results.
    next: ir::Block,
    /// Height of the operand stack below the frame's params.
    height: usize,
    num_params: usize,
    num_results: usize,
    /// Did any branch go to `next`?
    branched_to: bool,
}

impl ControlFrame {
    /// A frame no branch has targeted yet.
    fn new(kind: FrameKind, next: ir::Block, height: usize, num_params: usize, num_results: usize) -> Self {
        ControlFrame { kind, next, height, num_params, num_results, branched_to: false }
    }

    /// The block a branch to this frame goes to and how many values it
    /// takes.
    fn branch_target(&self) -> (ir::Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.next, self.num_results),
        }
    }
}

fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl FuncTranslator<'_, '_> {
    fn new_block_with_params(&mut self, types: &[ir::Type]) -> ir::Block {
        let block = self.b.create_block();
        for t in types {
            self.b.append_block_param(block, *t);
        }
        block
    }

    /// The frame of the whole function body, whose `next` block returns.
    pub(crate) fn push_function_frame(&mut self) {
        let results = self.results.clone();
        let next = self.new_block_with_params(&results);
        self.control.push(ControlFrame::new(FrameKind::Block, next, 0, 0, results.len()));
    }

    fn frame(&self, depth: u32, offset: u64) -> WasmResult<&ControlFrame> {
        let i = self
            .control
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| invalid("branch depth out of range", offset))?;
        Ok(&self.control[i])
    }

    fn frame_mut(&mut self, depth: u32, offset: u64) -> WasmResult<&mut ControlFrame> {
        let i = self
            .control
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| invalid("branch depth out of range", offset))?;
        Ok(&mut self.control[i])
    }

    pub(crate) fn translate_block(&mut self, ty: wasmparser::BlockType, offset: u64) -> WasmResult<()> {
        let (params, results) = self.block_type(ty, offset)?;
        let next = self.new_block_with_params(&results);
        let height = self.stack.len().checked_sub(params.len()).ok_or_else(|| invalid("stack underflow", offset))?;
        self.control.push(ControlFrame::new(FrameKind::Block, next, height, params.len(), results.len()));
        Ok(())
    }

    pub(crate) fn translate_loop(&mut self, ty: wasmparser::BlockType, offset: u64) -> WasmResult<()> {
        let (params, results) = self.block_type(ty, offset)?;
        // An on-stack-replacement entry's loop: the header its entry
        // jumps to, which takes no values (nothing is below the loop).
        let header = match self.osr.as_mut().and_then(|o| o.take_header()) {
            Some(h) if params.is_empty() && self.stack.is_empty() => h,
            Some(_) => return Err(WasmError::unsupported("on-stack replacement at a loop with operands", offset)),
            None => self.new_block_with_params(&params),
        };
        let next = self.new_block_with_params(&results);
        let values = self.pop_n(params.len(), offset)?;
        self.b.ins().jump(header, &args(&values));
        self.b.switch_to_block(header);
        // Taken before the checks: reading the fuel variable in the
        // unsealed header gives it one more block parameter, which is not
        // a wasm value.
        let values = self.b.block_params(header).to_vec();
        self.budget_checks();
        let height = self.stack.len();
        self.stack.extend_from_slice(&values);
        self.control.push(ControlFrame::new(FrameKind::Loop { header }, next, height, params.len(), results.len()));
        Ok(())
    }

    pub(crate) fn translate_if(&mut self, ty: wasmparser::BlockType, offset: u64) -> WasmResult<()> {
        let cond = self.pop(offset)?;
        let (params, results) = self.block_type(ty, offset)?;
        let next = self.new_block_with_params(&results);
        let then_block = self.b.create_block();
        let else_block = self.b.create_block();
        self.b.ins().brif(cond, then_block, &[], else_block, &[]);
        self.b.seal_block(then_block);
        self.b.seal_block(else_block);
        self.b.switch_to_block(then_block);
        let param_values = self.peek_n(params.len(), offset)?.to_vec();
        let height = self.stack.len() - params.len();
        let kind = FrameKind::If { else_block, params: param_values, has_else: false };
        self.control.push(ControlFrame::new(kind, next, height, params.len(), results.len()));
        Ok(())
    }

    /// `else`, reachable or not (the `if` itself was reachable).
    pub(crate) fn translate_else(&mut self, offset: u64) -> WasmResult<()> {
        let reachable = self.reachable;
        let frame = self.control.last().ok_or_else(|| invalid("else outside if", offset))?;
        let (next, num_results, height) = (frame.next, frame.num_results, frame.height);
        if reachable {
            let results = self.peek_n(num_results, offset)?.to_vec();
            self.b.ins().jump(next, &args(&results));
        }
        let frame = self.control.last_mut().ok_or_else(|| invalid("else outside if", offset))?;
        let FrameKind::If { else_block, params, has_else } = &mut frame.kind else {
            return Err(invalid("else outside if", offset));
        };
        if *has_else {
            return Err(invalid("two elses", offset));
        }
        *has_else = true;
        frame.branched_to |= reachable;
        let else_block = *else_block;
        let params = std::mem::take(params);
        self.stack.truncate(height);
        self.stack.extend_from_slice(&params);
        self.b.switch_to_block(else_block);
        self.reachable = true;
        Ok(())
    }

    /// `end`, reachable or not (the construct itself was reachable).
    pub(crate) fn translate_end(&mut self, offset: u64) -> WasmResult<()> {
        let frame = self.control.pop().ok_or_else(|| invalid("end outside any block", offset))?;
        let mut next_reached = frame.branched_to;
        if self.reachable {
            let results = self.peek_n(frame.num_results, offset)?.to_vec();
            self.b.ins().jump(frame.next, &args(&results));
            next_reached = true;
        }
        match frame.kind {
            FrameKind::Loop { header } => self.b.seal_block(header),
            FrameKind::If { else_block, params, has_else: false } => {
                // An `if` without `else` passes its params through when the
                // condition is false (its type has params == results).
                self.b.switch_to_block(else_block);
                self.b.ins().jump(frame.next, &args(&params));
                next_reached = true;
            }
            _ => {}
        }
        self.stack.truncate(frame.height);
        self.b.switch_to_block(frame.next);
        self.b.seal_block(frame.next);
        if next_reached {
            self.reachable = true;
            self.stack.extend_from_slice(self.b.block_params(frame.next));
            if self.control.is_empty() {
                let results = self.b.block_params(frame.next).to_vec();
                self.fuel_save();
                self.b.ins().return_(&results);
                self.reachable = false;
            }
        } else {
            // Nothing reaches the end: fill the block (Cranelift removes it).
            self.b.ins().trap(abi::trap_code(Trap::UnreachableCodeReached));
            self.reachable = false;
        }
        Ok(())
    }

    /// An operator in unreachable code: only the nesting matters.
    pub(crate) fn skip_unreachable_operator(&mut self, op: &wasmparser::Operator<'_>, offset: u64) -> WasmResult<()> {
        use wasmparser::Operator as O;
        match op {
            O::Block { .. } | O::Loop { .. } | O::If { .. } | O::TryTable { .. } => self.unreachable_depth += 1,
            O::End if self.unreachable_depth > 0 => self.unreachable_depth -= 1,
            O::End => self.translate_end(offset)?,
            O::Else if self.unreachable_depth == 0 => self.translate_else(offset)?,
            _ => {}
        }
        Ok(())
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        self.unreachable_depth = 0;
    }

    pub(crate) fn translate_br(&mut self, depth: u32, offset: u64) -> WasmResult<()> {
        let frame = self.frame_mut(depth, offset)?;
        frame.branched_to = true;
        let (target, n) = frame.branch_target();
        let values = self.peek_n(n, offset)?.to_vec();
        self.b.ins().jump(target, &args(&values));
        self.set_unreachable();
        Ok(())
    }

    pub(crate) fn translate_br_if(&mut self, depth: u32, offset: u64) -> WasmResult<()> {
        let cond = self.pop(offset)?;
        let frame = self.frame_mut(depth, offset)?;
        frame.branched_to = true;
        let (target, n) = frame.branch_target();
        let values = self.peek_n(n, offset)?.to_vec();
        let cont = self.b.create_block();
        self.b.ins().brif(cond, target, &args(&values), cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
        Ok(())
    }

    pub(crate) fn translate_br_table(&mut self, table: &wasmparser::BrTable<'_>, offset: u64) -> WasmResult<()> {
        let index = self.pop(offset)?;
        let mut depths = Vec::with_capacity(table.len() as usize + 1);
        for d in table.targets() {
            depths.push(d?);
        }
        let default = table.default();
        let (_, arity) = self.frame(default, offset)?.branch_target();
        let values = self.peek_n(arity, offset)?.to_vec();

        // Each distinct target depth gets one Cranelift block to jump to:
        // the target itself if no values are passed, else a block that
        // jumps to it with them (filled after the `br_table`).
        let mut blocks: Vec<Option<ir::Block>> = Vec::new();
        let mut trampolines: Vec<(ir::Block, ir::Block)> = Vec::new();
        let mut block_for = |t: &mut Self, depth: u32| -> WasmResult<ir::Block> {
            let frame = t.frame_mut(depth, offset)?;
            let d = depth as usize;
            if blocks.len() <= d {
                blocks.resize(d + 1, None);
            }
            if let Some(b) = blocks[d] {
                return Ok(b);
            }
            frame.branched_to = true;
            let (target, n) = frame.branch_target();
            if n != arity {
                return Err(invalid("br_table targets of different arity", offset));
            }
            let block = if arity == 0 {
                target
            } else {
                let block = t.b.create_block();
                trampolines.push((block, target));
                block
            };
            blocks[d] = Some(block);
            Ok(block)
        };
        let default_block = block_for(self, default)?;
        let mut targets = Vec::with_capacity(depths.len());
        for d in depths {
            targets.push(block_for(self, d)?);
        }
        let default_call = self.b.func.dfg.block_call(default_block, &[]);
        let calls: Vec<_> = targets.into_iter().map(|b| self.b.func.dfg.block_call(b, &[])).collect();
        let jt = self.b.create_jump_table(JumpTableData::new(default_call, &calls));
        self.b.ins().br_table(index, jt);
        let values = args(&values);
        for (block, target) in trampolines {
            self.b.switch_to_block(block);
            self.b.seal_block(block);
            self.b.ins().jump(target, &values);
        }
        self.set_unreachable();
        Ok(())
    }

    pub(crate) fn translate_return(&mut self, offset: u64) -> WasmResult<()> {
        let values = self.peek_n(self.results.len(), offset)?.to_vec();
        self.fuel_save();
        self.b.ins().return_(&values);
        self.set_unreachable();
        Ok(())
    }

    pub(crate) fn translate_unreachable(&mut self) {
        self.trap(Trap::UnreachableCodeReached);
        self.set_unreachable();
    }
}
