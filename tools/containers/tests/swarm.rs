//! The same `docker-compose.yml` as a Docker Swarm stack on this engine (a one-node swarm,
//! made for the test when the engine is not in one): replicas, start-first health-gated
//! updates and resource limits from its `deploy:` sections, the JWT secret and the database
//! password as Swarm secrets, and a `docker service update` of every tier under load.
//! Skipped with a printed reason without a Docker engine; a failure under CI=true.

use std::time::{Duration, Instant};

use conduit_containers::{Stack, Swarm, docker, engine, images, tier_version};
use conduit_testkit::load::Reads;

#[test]
fn the_compose_file_runs_as_a_swarm_stack_and_updates_every_tier_under_load_without_a_failure() {
    if conduit_testkit::require("a Docker engine", engine()).is_none() {
        return;
    }
    images().unwrap_or_else(|e| panic!("building the images: {e}"));
    tier_version("next").unwrap();
    let _swarm = Swarm::init().unwrap();
    let (mut stack, took) = Stack::deploy().unwrap_or_else(|e| panic!("stack deploy: {e}"));
    eprintln!(
        "swarm: stack converged and serving {took:?} after deploy: {:?}",
        stack.replicas()
    );

    // The secrets are Swarm secrets, handed to the tiers as files: no service's definition
    // holds a secret's value or a secret in a plain variable.
    let label = format!("label=com.docker.stack.namespace={}", stack.name);
    let secrets = docker(&["secret", "ls", "--filter", &label, "--format", "{{.Name}}"]).unwrap();
    for name in ["jwt_secret", "internal_credential", "postgres_password"] {
        assert!(
            secrets.contains(&format!("{}_{name}", stack.name)),
            "no Swarm secret {name}: {secrets}"
        );
    }
    for (service, _) in stack.replicas() {
        let spec = docker(&["service", "inspect", &service]).unwrap();
        for plain in [
            "JWT_SECRET=",
            "INTERNAL_CREDENTIAL=",
            "POSTGRES_PASSWORD=",
            "DATABASE_PASSWORD=",
        ] {
            assert!(
                !spec.contains(plain),
                "{service} has {plain} in its environment"
            );
        }
    }
    let web = docker(&["service", "inspect", &format!("{}_web", stack.name), "--format",
        "{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}} {{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}} {{.Spec.Mode.Replicated.Replicas}}"])
        .unwrap();
    assert_eq!(
        web.trim(),
        "start-first rollback 134217728 2",
        "web's deploy section"
    );

    let load = Reads::start(&stack.base(), 8);
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let out = stack
        .script("swarm", &["update", "next", &stack.name])
        .unwrap_or_else(|e| panic!("update: {e}"));
    eprintln!(
        "docker service update of every tier to conduit/tier:next in {:?}\n{out}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_secs(2));
    let report = load.finish();
    for tier in ["web", "experience", "models"] {
        let images = stack.task_images(tier);
        assert!(
            images.len() == 2 && images.iter().all(|i| i == "conduit/tier:next"),
            "{tier} tasks run {images:?}"
        );
    }
    stack.remove().unwrap();
    report.assert_no_failures("docker service update of every tier");
}
