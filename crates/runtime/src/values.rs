#![allow(unsafe_code, reason = "funcref values are raw pointers into the store")]

//! Values passed between the host and wasm.

use crate::func::Func;
use crate::externref::ExternRef;
use crate::store::StoreOpaque;
use crate::vm::ValRaw;
use brisk_environ::WasmValType as ValType;

/// A WebAssembly value.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    /// `i32`
    I32(i32),
    /// `i64`
    I64(i64),
    /// `f32`, as its bits (so NaN payloads survive).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`
    V128(u128),
    /// `funcref`: a function or null.
    FuncRef(Option<Func>),
    /// `externref`: a host value or null.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// A zero or null value of `ty`.
    pub fn default_for(ty: ValType) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        })
    }

    /// The `i32`, if it is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self { Some(*v) } else { None }
    }

    /// The `i64`, if it is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self { Some(*v) } else { None }
    }

    /// The `f32`, if it is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self { Some(f32::from_bits(*v)) } else { None }
    }

    /// The `f64`, if it is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self { Some(f64::from_bits(*v)) } else { None }
    }

    pub(crate) fn to_raw(self, store: &StoreOpaque) -> ValRaw {
        match self {
            Val::I32(v) => ValRaw::i32(v),
            Val::I64(v) => ValRaw::i64(v),
            Val::F32(v) => ValRaw::f32(v),
            Val::F64(v) => ValRaw::f64(v),
            Val::V128(v) => ValRaw::u128(v),
            Val::FuncRef(None) => ValRaw::ptr(0),
            Val::FuncRef(Some(f)) => ValRaw::ptr(f.func_ref(store) as usize),
            Val::ExternRef(None) => ValRaw::ptr(0),
            Val::ExternRef(Some(e)) => ValRaw::ptr(e.raw(store) as usize),
        }
    }

    pub(crate) fn from_raw(store: &mut StoreOpaque, raw: ValRaw, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw.get_i32()),
            ValType::I64 => Val::I64(raw.get_i64()),
            ValType::F32 => Val::F32(raw.get_f32()),
            ValType::F64 => Val::F64(raw.get_f64()),
            ValType::V128 => Val::V128(raw.get_u128()),
            ValType::ExternRef => {
                let p = raw.get_ptr();
                // SAFETY: a non-null externref from wasm is data the store
                // owns: wasm of a store only gets this store's externrefs.
                Val::ExternRef((p != 0).then(|| ExternRef(unsafe { store.push_externref(p as *mut _) })))
            }
            ValType::FuncRef => {
                let p = raw.get_ptr();
                // SAFETY: a non-null funcref from wasm points at a live
                // VMFuncRef owned by this store.
                Val::FuncRef((p != 0).then(|| unsafe { Func::from_func_ref(store, p as *const _) }))
            }
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
