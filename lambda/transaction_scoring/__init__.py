"""Streaming scoring of transaction files: S3 CSV -> fraud endpoint -> DynamoDB.

The package is self-contained (standard library, boto3 from the Lambda runtime, Powertools from its
layer) so that ``lambda/`` is the whole deployment package. ``contract`` is also imported by
``pipelines`` so the schema and the endpoint contract have one definition.
"""
