"""The media library: catalogue, video pages, protected downloads, admin commands."""
