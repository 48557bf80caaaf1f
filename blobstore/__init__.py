"""Blob storage behind one small interface, with two backends: local files and Azure Blob.

It knows stores, not workspaces: ``workspaces.storage.storage_for(workspace)`` gives a workspace's
store. This package imports nothing from the project. Errors are BlobStoreError with a
code and a message a user can act on; callers never see SDK exceptions.
"""
