//! Host values pass through wasm tables and globals as externrefs, come
//! back unchanged, and are freed when their store is dropped.

use brisk::{Engine, ExternRef, Instance, Module, Store, Val};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const WAT: &str = r#"
(module
  (table $t (export "table") 4 externref)
  (global $g (export "global") (mut externref) (ref.null extern))
  (func (export "stash") (param i32 externref)
    (table.set $t (local.get 0) (local.get 1)))
  (func (export "fetch") (param i32) (result externref)
    (table.get $t (local.get 0)))
  (func (export "set_global") (param externref) (global.set $g (local.get 0)))
  (func (export "get_global") (result externref) (global.get $g))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0))))
"#;

/// Counts its drops, so the test can see when the store frees it.
struct Tracked {
    id: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn id_of(store: &Store<()>, val: &Val) -> Option<u32> {
    match val {
        Val::ExternRef(Some(e)) => e.data(store).downcast_ref::<Tracked>().map(|t| t.id),
        _ => None,
    }
}

#[test]
fn externrefs_round_trip_through_tables_and_globals() -> anyhow::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT)?;
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[])?;
        let stash = instance.get_func(&mut store, "stash").unwrap();
        let fetch = instance.get_func(&mut store, "fetch").unwrap();
        for id in 0..4 {
            let r = ExternRef::new(&mut store, Tracked { id: 100 + id, drops: drops.clone() })?;
            stash.call(&mut store, &[Val::I32(id as i32), Val::ExternRef(Some(r))], &mut [])?;
        }
        for id in 0..4 {
            let mut out = [Val::ExternRef(None)];
            fetch.call(&mut store, &[Val::I32(id as i32)], &mut out)?;
            assert_eq!(id_of(&store, &out[0]), Some(100 + id));
        }

        // Through a global, and through the host's view of the table.
        let r = ExternRef::new(&mut store, Tracked { id: 7, drops: drops.clone() })?;
        instance.get_func(&mut store, "set_global").unwrap().call(&mut store, &[Val::ExternRef(Some(r))], &mut [])?;
        let mut out = [Val::ExternRef(None)];
        instance.get_func(&mut store, "get_global").unwrap().call(&mut store, &[], &mut out)?;
        assert_eq!(id_of(&store, &out[0]), Some(7));
        let global = instance.get_global(&mut store, "global").unwrap();
        let g = global.get(&mut store);
        assert_eq!(id_of(&store, &g), Some(7));
        let table = instance.get_table(&mut store, "table").unwrap();
        let t2 = table.get(&mut store, 2).unwrap();
        assert_eq!(id_of(&store, &t2), Some(102));

        // Null stays null.
        let mut out = [Val::I32(0)];
        instance.get_func(&mut store, "is_null").unwrap().call(&mut store, &[Val::ExternRef(None)], &mut out)?;
        assert_eq!(out[0].i32(), Some(1));
        assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing is freed while the store lives");
    }
    assert_eq!(drops.load(Ordering::SeqCst), 5, "dropping the store frees every host value");
    Ok(())
}
