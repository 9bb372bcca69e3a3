"""A local AWS Step Functions: JSONata ASL engine, persistence, and the Step Functions JSON API."""
