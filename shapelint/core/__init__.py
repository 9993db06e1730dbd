"""Plain data every stage shares: findings, rules, results, sizes, values, source, positions, noqa, config, inputs."""
