#![allow(unsafe_code, reason = "host functions are entered from compiled code through raw pointers")]

//! Functions: calling wasm from the host, and host functions wasm can call.

use crate::instance::Instance;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, StoreInner, StoreOpaque, Stored};
use crate::trap::WasmBacktrace;
use crate::values::Val;
use crate::vm::{self, CallError, VMArrayCallHostFuncContext, VMContext, VMFuncRef, ValRaw};
use anyhow::{Result, anyhow, bail};
use brisk_environ::{FuncType, VMCONTEXT_MAGIC, WasmValType as ValType, host_func_context};
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::ptr::NonNull;
use std::sync::Arc;

/// A function: exported by an instance, or defined by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func(pub(crate) Stored);

type DynamicHostFn<T> = dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;
type RawHostFn<T> = dyn Fn(Caller<'_, T>, &mut [ValRaw]) -> Result<()> + Send + Sync;

/// A host function's body, shared by every store a linker defines it in.
#[doc(hidden)]
pub struct HostBody<T>(HostBodyKind<T>);

enum HostBodyKind<T> {
    /// Over [`Val`]s, checked at run time: `Func::new`, `Linker::func_new`.
    Dynamic(Arc<DynamicHostFn<T>>),
    /// Over the array-ABI slots directly, typed at compile time:
    /// `Func::wrap`, `Linker::func_wrap`. No conversion through `Val` and
    /// no allocation per call: the path WASI's calls take.
    Raw(Arc<RawHostFn<T>>),
}

impl<T> Clone for HostBody<T> {
    fn clone(&self) -> Self {
        HostBody(match &self.0 {
            HostBodyKind::Dynamic(f) => HostBodyKind::Dynamic(f.clone()),
            HostBodyKind::Raw(f) => HostBodyKind::Raw(f.clone()),
        })
    }
}

impl<T> HostBody<T> {
    pub(crate) fn dynamic(f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static) -> Self {
        HostBody(HostBodyKind::Dynamic(Arc::new(f)))
    }
}

struct HostFuncState<T> {
    func: HostBody<T>,
    ty: FuncType,
    /// The store's canonical pointer (see `Store` on aliasing).
    store: NonNull<StoreInner<T>>,
}

// SAFETY: the store pointer is only dereferenced on the thread that is
// running the store's wasm, while the store is lent to that call.
unsafe impl<T> Send for HostFuncState<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for HostFuncState<T> {}

/// The context a host function runs in: the store, and the instance whose
/// wasm called it (if any).
pub struct Caller<'a, T> {
    store: StoreContextMut<'a, T>,
    instance: Option<Instance>,
}

impl<T> Caller<'_, T> {
    /// This caller again, for a call that takes it by value.
    fn reborrow(&mut self) -> Caller<'_, T> {
        Caller { store: self.store.as_context_mut(), instance: self.instance }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// An export of the calling instance, such as its memory.
    pub fn get_export(&mut self, name: &str) -> Option<crate::Extern> {
        let instance = self.instance?;
        instance.get_export(&mut self.store, name)
    }

    /// The engine.
    pub fn engine(&self) -> &crate::Engine {
        let StoreContext(inner) = self.store.as_context();
        inner.engine()
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        self.store.as_context()
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        self.store.as_context_mut()
    }
}

/// The array-ABI entry of every host function with store data `T`.
///
/// # Safety
///
/// `ctx` is the `VMArrayCallHostFuncContext` of a host function created for
/// a `Store<T>`; `values` holds `len` slots; `caller_vmctx` is null or a
/// live instance vmctx.
unsafe extern "C" fn host_shim<T: 'static>(
    ctx: *mut VMContext,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
    len: usize,
) -> bool {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| -> Result<()> {
        // SAFETY: per the contract, `ctx` is a host function context.
        let ctx = unsafe { &*ctx.cast::<VMArrayCallHostFuncContext>() };
        let state = ctx
            .host_state
            .downcast_ref::<HostFuncState<T>>()
            .ok_or_else(|| anyhow!("host function called with a store of another type"))?;
        // SAFETY: the store outlives its host functions, and while wasm runs
        // no reference into it is live (the caller lent it to this call):
        // the context reborrows the canonical pointer for each access.
        let mut cx = unsafe { StoreContextMut::from_raw(state.store) };
        // SAFETY: `caller_vmctx` is null or a live vmctx; its magic tells an
        // instance's from a host function's. Only a plain field is read.
        let instance = unsafe {
            (!caller_vmctx.is_null() && *caller_vmctx.cast::<u32>() == VMCONTEXT_MAGIC)
                .then(|| vm::Instance::store_index_of(caller_vmctx))
        };
        // SAFETY: per the contract, `values` holds `len` slots, owned by the
        // caller's frame, not by the store.
        let values = unsafe { std::slice::from_raw_parts_mut(values, len) };
        let instance = instance.map(|i| Instance(cx.opaque().stored(i)));
        let f = match &state.func.0 {
            // The trampoline's slots have room for the parameters and the
            // results, and the closure's types are the function's.
            HostBodyKind::Raw(f) => return f(Caller { store: cx.as_context_mut(), instance }, values),
            HostBodyKind::Dynamic(f) => f,
        };
        let ty = &state.ty;
        let params: Vec<Val> = {
            let store = cx.opaque();
            ty.params.iter().zip(values.iter()).map(|(t, v)| Val::from_raw(store, *v, *t)).collect()
        };
        let mut results: Vec<Val> =
            ty.results.iter().map(|t| Val::default_for(*t).unwrap_or(Val::FuncRef(None))).collect();
        f(Caller { store: cx.as_context_mut(), instance }, &params, &mut results)?;
        let store = cx.opaque();
        for (i, (r, t)) in results.iter().zip(ty.results.iter()).enumerate() {
            if r.ty() != *t {
                bail!("host function returned a {} as result {i}, expected {t}", r.ty());
            }
            values[i] = r.to_raw(store);
        }
        Ok(())
    }));
    let state = vm::current_call_state();
    // SAFETY: host functions only run inside `catch_traps`, which set the
    // current call state; it lives on the stack below us.
    let state = unsafe { &mut *state };
    match result {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            state.host_error = Some(e);
            false
        }
        Err(panic) => {
            state.host_panic = Some(panic);
            false
        }
    }
}

impl Func {
    /// A host function of type `ty`. It gets a [`Caller`], the arguments,
    /// and a slice to write its results into (pre-filled with zeros).
    ///
    /// An `Err` it returns becomes the error of the outermost wasm call.
    pub fn new<T: 'static>(
        store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        Func::with_body(store, ty, HostBody::dynamic(func))
    }

    pub(crate) fn with_body<T: 'static>(mut store: impl AsContextMut<Data = T>, ty: FuncType, body: HostBody<T>) -> Func {
        let mut cx = store.as_context_mut();
        let store_ptr = cx.as_ptr();
        let store = cx.opaque();
        let engine = store.engine.clone();
        let native_call =
            engine.host_trampoline(&ty).expect("compiling a host trampoline cannot fail for a valid type");
        let type_index = engine.register_type(&ty).as_u32();
        let ctx = VMArrayCallHostFuncContext {
            magic: host_func_context::MAGIC_VALUE,
            _pad: 0,
            array_call: host_shim::<T>,
            func_ref: VMFuncRef {
                native_call,
                array_call: host_shim::<T> as *const () as usize,
                vmctx: std::ptr::null_mut(),
                type_index,
                _pad: 0,
            },
            host_state: Box::new(HostFuncState { func: body, ty: ty.clone(), store: store_ptr }),
        };
        Func(store.add_host_func(ctx, ty))
    }

    /// A host function from a Rust closure with typed parameters and
    /// results, optionally taking a [`Caller`] first.
    pub fn wrap<T: 'static, Params, Results>(
        store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, f) = func.into_func();
        Func::with_body(store, ty, f)
    }

    /// # Safety
    ///
    /// `func_ref` points at a live funcref owned by `store`.
    pub(crate) unsafe fn from_func_ref(store: &mut StoreOpaque, func_ref: *const VMFuncRef) -> Func {
        // SAFETY: per the contract.
        Func(unsafe { store.push_func_ref(func_ref) })
    }

    pub(crate) fn func_ref(&self, store: &StoreOpaque) -> *const VMFuncRef {
        store.funcs[store.check(self.0)].func_ref.as_ptr()
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        self.ty_opaque(store.as_context().0)
    }

    fn ty_opaque(&self, store: &StoreOpaque) -> FuncType {
        store.funcs[store.check(self.0)].ty.clone()
    }

    /// Calls the function with `params`, writing `results`.
    ///
    /// # Errors
    ///
    /// Fails if the arguments don't match the type, if wasm traps (the error
    /// downcasts to [`Trap`](crate::Trap) and carries a
    /// [`WasmBacktrace`]), or if a host function fails.
    pub fn call(&self, mut store: impl AsContextMut, params: &[Val], results: &mut [Val]) -> Result<()> {
        let mut cx = store.as_context_mut();
        let (ty, mut raw) = {
            let store = cx.opaque();
            let ty = self.ty_opaque(store);
            if params.len() != ty.params.len() {
                bail!("expected {} arguments, got {}", ty.params.len(), params.len());
            }
            if results.len() != ty.results.len() {
                bail!("expected {} results, got {}", ty.results.len(), results.len());
            }
            let mut raw = vec![ValRaw::default(); ty.params.len().max(ty.results.len())];
            for (i, (p, t)) in params.iter().zip(ty.params.iter()).enumerate() {
                if p.ty() != *t {
                    bail!("argument {i} is a {}, expected {t}", p.ty());
                }
                if let Val::FuncRef(Some(f)) = p
                    && f.0.store != store.id
                {
                    bail!("argument {i} is a function of another store");
                }
                raw[i] = p.to_raw(store);
            }
            (ty, raw)
        };
        // SAFETY: `raw` has room for the parameters and results of `ty`,
        // which is the function's type; the pointer is the context's.
        unsafe { self.call_raw(cx.opaque_ptr(), &mut raw)? };
        let store = cx.opaque();
        for (i, t) in ty.results.iter().enumerate() {
            results[i] = Val::from_raw(store, raw[i], *t);
        }
        Ok(())
    }

    /// Calls into wasm. Takes the store's canonical pointer rather than a
    /// reference, so that no reference into the store is live while wasm
    /// (and the host functions and builtins it calls, which reborrow the
    /// store themselves) runs.
    ///
    /// # Safety
    ///
    /// `store` is the canonical pointer of a live store that nothing else
    /// borrows during the call (a context's [`StoreContextMut::opaque_ptr`]
    /// while the context is lent to this call); `values` holds the
    /// arguments in the function's types and has room for its results.
    pub(crate) unsafe fn call_raw(&self, store: NonNull<StoreOpaque>, values: &mut [ValRaw]) -> Result<()> {
        let (fr, max_stack, limits) = {
            // SAFETY: per the contract; this reborrow ends before the call.
            let store = unsafe { store.as_ref() };
            let fr = *store.funcs[store.check(self.0)].func_ref.get(store);
            (fr, store.engine.config().max_wasm_stack, store.limits.as_ptr())
        };
        if fr.array_call == 0 {
            bail!("function cannot be called from the host");
        }
        // SAFETY: the entry point matches the function's type (the caller
        // checked the values), every vmctx involved is owned by the store,
        // and no reference into the store is live across the call.
        let r = unsafe {
            vm::catch_traps(
                limits,
                max_stack,
                fr.array_call,
                fr.vmctx,
                std::ptr::null_mut(),
                values.as_mut_ptr(),
                values.len(),
            )
        };
        r.map_err(|e| match e {
            CallError::Trap(record) => {
                anyhow::Error::new(record.trap).context(WasmBacktrace::from_record(&record))
            }
            CallError::Host(e) => e,
        })
    }

    /// This function with static types: checks the types once, then calls
    /// without per-call checks.
    pub fn typed<P: WasmParams, R: WasmResults>(&self, store: impl AsContext) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(store);
        let (params, results) = (P::types(), R::types());
        if *ty.params != *params || *ty.results != *results {
            bail!("type mismatch: function is {ty}, requested {}", FuncType::new(params, results));
        }
        Ok(TypedFunc { func: *self, _marker: PhantomData })
    }
}

/// A function with static parameter and result types.
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    ///
    /// # Errors
    ///
    /// As [`Func::call`].
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let mut cx = store.as_context_mut();
        let mut raw = [ValRaw::default(); 16];
        let mut heap;
        let n = P::count().max(R::count());
        let values: &mut [ValRaw] = if n <= raw.len() {
            &mut raw[..n]
        } else {
            heap = vec![ValRaw::default(); n];
            &mut heap
        };
        params.store(cx.opaque(), values)?;
        // SAFETY: `typed` checked the function's type against P and R; the
        // pointer is the context's.
        unsafe { self.func.call_raw(cx.opaque_ptr(), values)? };
        Ok(R::load(cx.opaque(), values))
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}

/// A Rust type that is a WebAssembly value type.
pub trait WasmTy: Sized + Send + Sync + 'static {
    /// The wasm type.
    fn valtype() -> ValType;
    /// To the array ABI.
    fn to_raw(self, store: &StoreOpaque) -> Result<ValRaw>;
    /// From the array ABI.
    fn from_raw(store: &mut StoreOpaque, raw: ValRaw) -> Self;
    /// From a [`Val`] of the right type (a wrong type gives a zero value;
    /// callers check types first).
    fn from_val(val: Val) -> Self;
    /// Into a [`Val`].
    fn into_val(self) -> Val;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $to:expr, $from:expr, $val:ident) => {
        impl WasmTy for $t {
            fn valtype() -> ValType {
                ValType::$vt
            }
            fn to_raw(self, _: &StoreOpaque) -> Result<ValRaw> {
                #[allow(clippy::redundant_closure_call, reason = "macro plumbing")]
                Ok(($to)(self))
            }
            fn from_raw(_: &mut StoreOpaque, raw: ValRaw) -> Self {
                #[allow(clippy::redundant_closure_call, reason = "macro plumbing")]
                ($from)(raw)
            }
            fn from_val(val: Val) -> Self {
                match val {
                    #[allow(clippy::unnecessary_cast, reason = "macro plumbing")]
                    Val::$val(v) => Self::from_raw_bits(v as u64),
                    _ => Self::from_raw_bits(0),
                }
            }
            fn into_val(self) -> Val {
                Val::$val(self.into_raw_bits() as _)
            }
        }
    };
}

trait RawBits: Sized {
    fn from_raw_bits(bits: u64) -> Self;
    fn into_raw_bits(self) -> u64;
}

impl RawBits for i32 {
    fn from_raw_bits(bits: u64) -> Self {
        bits as i32
    }
    fn into_raw_bits(self) -> u64 {
        self as u32 as u64
    }
}
impl RawBits for u32 {
    fn from_raw_bits(bits: u64) -> Self {
        bits as u32
    }
    fn into_raw_bits(self) -> u64 {
        u64::from(self)
    }
}
impl RawBits for i64 {
    fn from_raw_bits(bits: u64) -> Self {
        bits as i64
    }
    fn into_raw_bits(self) -> u64 {
        self as u64
    }
}
impl RawBits for u64 {
    fn from_raw_bits(bits: u64) -> Self {
        bits
    }
    fn into_raw_bits(self) -> u64 {
        self
    }
}
impl RawBits for f32 {
    fn from_raw_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn into_raw_bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl RawBits for f64 {
    fn from_raw_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn into_raw_bits(self) -> u64 {
        self.to_bits()
    }
}

wasm_ty!(i32, I32, ValRaw::i32, |r: ValRaw| r.get_i32(), I32);
wasm_ty!(u32, I32, |v: u32| ValRaw::i32(v as i32), |r: ValRaw| r.get_i32() as u32, I32);
wasm_ty!(i64, I64, ValRaw::i64, |r: ValRaw| r.get_i64(), I64);
wasm_ty!(u64, I64, |v: u64| ValRaw::i64(v as i64), |r: ValRaw| r.get_i64() as u64, I64);
wasm_ty!(f32, F32, |v: f32| ValRaw::f32(v.to_bits()), |r: ValRaw| f32::from_bits(r.get_f32()), F32);
wasm_ty!(f64, F64, |v: f64| ValRaw::f64(v.to_bits()), |r: ValRaw| f64::from_bits(r.get_f64()), F64);

impl WasmTy for Option<Func> {
    fn valtype() -> ValType {
        ValType::FuncRef
    }
    fn to_raw(self, store: &StoreOpaque) -> Result<ValRaw> {
        Ok(match self {
            None => ValRaw::ptr(0),
            Some(f) => {
                if f.0.store != store.id {
                    bail!("function of another store");
                }
                ValRaw::ptr(f.func_ref(store) as usize)
            }
        })
    }
    fn from_raw(store: &mut StoreOpaque, raw: ValRaw) -> Self {
        Self::from_val(Val::from_raw(store, raw, ValType::FuncRef))
    }
    fn from_val(val: Val) -> Self {
        match val {
            Val::FuncRef(f) => f,
            _ => None,
        }
    }
    fn into_val(self) -> Val {
        Val::FuncRef(self)
    }
}

/// Parameters of a [`TypedFunc`]: `()`, a [`WasmTy`], or a tuple of them.
pub trait WasmParams: Send + Sync {
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// How many.
    fn count() -> usize;
    /// Writes the values into the array ABI.
    fn store(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()>;
}

/// Results of a [`TypedFunc`]: `()`, a [`WasmTy`], or a tuple of them.
pub trait WasmResults: Sized + Send + Sync {
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// How many.
    fn count() -> usize;
    /// Reads the values from the array ABI.
    fn load(store: &mut StoreOpaque, src: &[ValRaw]) -> Self;
    /// Writes the values into the array ABI (a host function's results).
    fn store_raw(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()>;
    /// Writes the values as [`Val`]s.
    fn into_vals(self, out: &mut [Val]);
}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn count() -> usize {
        1
    }
    fn store(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()> {
        dst[0] = self.to_raw(store)?;
        Ok(())
    }
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn count() -> usize {
        1
    }
    fn load(store: &mut StoreOpaque, src: &[ValRaw]) -> Self {
        A::from_raw(store, src[0])
    }
    fn store_raw(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()> {
        dst[0] = self.to_raw(store)?;
        Ok(())
    }
    fn into_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! tuples {
    ($(($($a:ident $i:tt),*))*) => {$(
        impl<$($a: WasmTy),*> WasmParams for ($($a,)*) {
            fn types() -> Vec<ValType> {
                vec![$($a::valtype()),*]
            }
            fn count() -> usize {
                [$($i),*].len()
            }
            #[allow(unused_variables, reason = "the empty tuple uses neither")]
            fn store(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()> {
                $(dst[$i] = self.$i.to_raw(store)?;)*
                Ok(())
            }
        }

        impl<$($a: WasmTy),*> WasmResults for ($($a,)*) {
            fn types() -> Vec<ValType> {
                vec![$($a::valtype()),*]
            }
            fn count() -> usize {
                [$($i),*].len()
            }
            #[allow(unused_variables, reason = "the empty tuple uses neither")]
            fn load(store: &mut StoreOpaque, src: &[ValRaw]) -> Self {
                ($($a::from_raw(store, src[$i]),)*)
            }
            #[allow(unused_variables, reason = "the empty tuple uses neither")]
            fn store_raw(self, store: &StoreOpaque, dst: &mut [ValRaw]) -> Result<()> {
                $(dst[$i] = self.$i.to_raw(store)?;)*
                Ok(())
            }
            #[allow(unused_variables, reason = "the empty tuple uses neither")]
            fn into_vals(self, out: &mut [Val]) {
                $(out[$i] = self.$i.into_val();)*
            }
        }
    )*};
}

impl WasmParams for () {
    fn types() -> Vec<ValType> {
        Vec::new()
    }
    fn count() -> usize {
        0
    }
    fn store(self, _: &StoreOpaque, _: &mut [ValRaw]) -> Result<()> {
        Ok(())
    }
}

impl WasmResults for () {
    fn types() -> Vec<ValType> {
        Vec::new()
    }
    fn count() -> usize {
        0
    }
    fn load(_: &mut StoreOpaque, _: &[ValRaw]) -> Self {}
    fn store_raw(self, _: &StoreOpaque, _: &mut [ValRaw]) -> Result<()> {
        Ok(())
    }
    fn into_vals(self, _: &mut [Val]) {}
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// What a wrapped host closure may return: results, or `Result` of them.
pub trait WasmRet {
    /// The result values.
    type Results: WasmResults;
    /// Into a `Result`.
    fn into_result(self) -> Result<Self::Results>;
}

impl<R: WasmResults> WasmRet for R {
    type Results = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmResults> WasmRet for Result<R> {
    type Results = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// A Rust closure usable as a host function: `Fn(Caller<T>, A...) -> R`
/// or `Fn(A...) -> R`.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The function type and its body.
    fn into_func(self) -> (FuncType, HostBody<T>);
}

macro_rules! into_func {
    ($(($($a:ident $i:tt),*))*) => {$(
        impl<T: 'static, Closure, R, $($a: WasmTy),*> IntoFunc<T, (Caller<'static, T>, $($a,)*), R> for Closure
        where
            Closure: Fn(Caller<'_, T>, $($a),*) -> R + Send + Sync + 'static,
            R: WasmRet + 'static,
        {
            #[allow(unused_variables, unused_mut, non_snake_case, reason = "macro plumbing")]
            fn into_func(self) -> (FuncType, HostBody<T>) {
                let ty = FuncType::new(vec![$($a::valtype()),*], <R::Results as WasmResults>::types());
                let f = move |mut caller: Caller<'_, T>, raw: &mut [ValRaw]| -> Result<()> {
                    $(let $a = $a::from_raw(caller.store.opaque(), raw[$i]);)*
                    let results = (self)(caller.reborrow(), $($a),*).into_result()?;
                    results.store_raw(caller.store.opaque(), raw)
                };
                (ty, HostBody(HostBodyKind::Raw(Arc::new(f))))
            }
        }

        impl<T: 'static, Closure, R, $($a: WasmTy),*> IntoFunc<T, ($($a,)*), R> for Closure
        where
            Closure: Fn($($a),*) -> R + Send + Sync + 'static,
            R: WasmRet + 'static,
        {
            #[allow(unused_variables, unused_mut, non_snake_case, reason = "macro plumbing")]
            fn into_func(self) -> (FuncType, HostBody<T>) {
                let ty = FuncType::new(vec![$($a::valtype()),*], <R::Results as WasmResults>::types());
                let f = move |mut caller: Caller<'_, T>, raw: &mut [ValRaw]| -> Result<()> {
                    $(let $a = $a::from_raw(caller.store.opaque(), raw[$i]);)*
                    let results = (self)($($a),*).into_result()?;
                    results.store_raw(caller.store.opaque(), raw)
                };
                (ty, HostBody(HostBodyKind::Raw(Arc::new(f))))
            }
        }
    )*};
}

into_func! {
    ()
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}
