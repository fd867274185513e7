//! Store put and get at the sizes a sweep moves: a shard's result (2 KB of
//! JSON) and a training shard's model (150 KB, the LSTM's), to a local
//! directory and to the S3 store against a loopback S3 server (s3s-fs,
//! SigV4 checked). The S3 figures are the protocol's cost on loopback (TLS
//! off, no network latency); a real bucket adds its round trips.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use store::{ArtifactStore, LocalStore, S3Config, S3Store};
use test_support::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = S3Server::start(&dir.path().join("s3"), "127.0.0.1:0".parse().unwrap());
    let s3 = S3Store::new(
        S3Config::new(BUCKET)
            .with_endpoint(server.endpoint())
            .with_credentials(ACCESS_KEY, SECRET_KEY),
    )
    .expect("S3 store");
    let local = LocalStore::new(dir.path().join("local"));
    let stores: [(&str, &dyn ArtifactStore); 2] = [("local", &local), ("s3", &s3)];
    for (what, size) in [("result_2k", 2_048usize), ("model_150k", 150 * 1024)] {
        let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let mut g = c.benchmark_group(format!("store_{what}"));
        g.throughput(Throughput::Bytes(size as u64));
        for (name, store) in stores {
            let key = format!("sweeps/bench/{what}.json");
            g.bench_function(format!("{name}_put"), |b| {
                b.iter(|| store.put(black_box(&key), black_box(&bytes)).unwrap())
            });
            g.bench_function(format!("{name}_get"), |b| {
                b.iter(|| store.get(black_box(&key)).unwrap().unwrap())
            });
        }
        g.finish();
    }
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
