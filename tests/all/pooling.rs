//! The pooling allocator, and the on-demand allocator's warm reservations:
//! memory slots are reused, and every memory starts as the module says,
//! whatever the slot held before.

use brisk::{Config, Engine, Instance, InstanceAllocationStrategy, Module, PoolingAllocationConfig, Store, Trap};

fn engine(total_memories: u32) -> Engine {
    let mut pooling = PoolingAllocationConfig::new();
    pooling.total_memories(total_memories);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config).unwrap()
}

/// A module whose memory (1 page, up to 4) starts with `byte` at 0 and
/// 4096 (an image of two pages), or zeros with `None`.
fn module(engine: &Engine, byte: Option<u8>) -> Module {
    let data = byte.map_or(String::new(), |b| {
        format!(r#"(data (i32.const 0) "\{b:02x}") (data (i32.const 4096) "\{b:02x}")"#)
    });
    let wat = format!(
        r#"(module
             (memory (export "memory") 1 4)
             {data}
             (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
             (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
             (func (export "grow") (result i32) (memory.grow (i32.const 2)))
             (func (export "size") (result i32) (memory.size)))"#
    );
    Module::new(engine, wat).unwrap()
}

/// Instantiates `module`, checks its memory is pristine (`byte` at 0 and
/// 4096, zeros elsewhere, one page), then dirties it: writes everywhere it
/// looks and grows it.
fn use_once(engine: &Engine, module: &Module, byte: Option<u8>) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let load = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let store_byte = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store").unwrap();
    let grow = instance.get_typed_func::<(), i32>(&mut store, "grow").unwrap();
    let size = instance.get_typed_func::<(), i32>(&mut store, "size").unwrap();
    let expected = i32::from(byte.unwrap_or(0));
    assert_eq!(size.call(&mut store, ()).unwrap(), 1, "a reused slot keeps no growth");
    for (addr, want) in [(0, expected), (4096, expected), (1, 0), (8192, 0), (65535, 0)] {
        assert_eq!(load.call(&mut store, addr).unwrap(), want, "byte {addr} of a fresh memory");
    }
    let err = load.call(&mut store, 65536).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds), "past the first page");
    for addr in [0, 1, 4096, 8192, 65535] {
        store_byte.call(&mut store, (addr, 0x5a)).unwrap();
    }
    assert_eq!(grow.call(&mut store, ()).unwrap(), 1);
    store_byte.call(&mut store, (3 * 65536 - 1, 0x5a)).unwrap();
}

#[test]
fn reused_slots_start_as_the_module_says() {
    // One slot: every instance below reuses it.
    let engine = engine(1);
    let a = module(&engine, Some(0xa1));
    let b = module(&engine, Some(0xb2));
    let zeros = module(&engine, None);
    for (m, byte) in [(&a, Some(0xa1)), (&a, Some(0xa1)), (&b, Some(0xb2)), (&zeros, None), (&a, Some(0xa1)), (&zeros, None)] {
        use_once(&engine, m, byte);
    }
    // Loaded from an artifact file: the image comes from the file.
    let dir = crate::util::TempDir::new("pooling-artifact");
    let path = dir.path().join("a.bwasm");
    std::fs::write(&path, a.serialize().unwrap()).unwrap();
    #[allow(unsafe_code, reason = "loads an artifact this test just wrote")]
    // SAFETY: as above.
    let loaded = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    use_once(&engine, &loaded, Some(0xa1));
    use_once(&engine, &b, Some(0xb2));
    use_once(&engine, &loaded, Some(0xa1));
}

#[test]
fn on_demand_allocator_reuses_warm_reservations_cleanly() {
    // The default allocator keeps a few freed reservations for the next
    // memories: the same guarantees as the pool's slots.
    let engine = Engine::default();
    let a = module(&engine, Some(0xa1));
    let b = module(&engine, Some(0xb2));
    let zeros = module(&engine, None);
    for (m, byte) in [(&a, Some(0xa1)), (&a, Some(0xa1)), (&b, Some(0xb2)), (&zeros, None), (&a, Some(0xa1)), (&zeros, None)] {
        use_once(&engine, m, byte);
    }
    // More memories alive at once than reservations are kept; then all
    // dropped, and used again.
    for round in 0..3 {
        let mut stores = Vec::new();
        for i in 0..12 {
            let (m, byte) = if i % 2 == 0 { (&a, 0xa1) } else { (&zeros, 0) };
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, m, &[]).unwrap();
            let load = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
            assert_eq!(load.call(&mut store, 4096).unwrap(), byte, "round {round}, memory {i}");
            instance.get_typed_func::<(i32, i32), ()>(&mut store, "store").unwrap().call(&mut store, (4096, 0x77)).unwrap();
            stores.push(store);
        }
    }
    use_once(&engine, &b, Some(0xb2));
    use_once(&engine, &zeros, None);
}

#[test]
fn instantiation_fails_cleanly_when_every_slot_is_in_use() {
    let engine = engine(2);
    let m = module(&engine, Some(1));
    let mut store = Store::new(&engine, ());
    let first = Instance::new(&mut store, &m, &[]).unwrap();
    let _second = Instance::new(&mut store, &m, &[]).unwrap();
    let err = Instance::new(&mut store, &m, &[]).unwrap_err();
    assert!(format!("{err:#}").contains("all 2 memory slots"), "{err:#}");
    let _ = first;
    drop(store);
    // The slots came back with the store.
    let mut store = Store::new(&engine, ());
    for _ in 0..2 {
        Instance::new(&mut store, &m, &[]).unwrap();
    }
}
