"""Blob storage behind one small interface, with two backends: local files and Azure Blob.

``store_for_connection(connection)`` gives the workspace's store. Errors are BlobStoreError with a
code and a message a user can act on; callers never see SDK exceptions.
"""
