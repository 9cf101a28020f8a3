package dev.imagery.shared.image;

public final class ImageNotFoundException extends RuntimeException {

  public ImageNotFoundException(String imageId) {
    super("no image with id " + imageId, null, false, false);
  }
}
