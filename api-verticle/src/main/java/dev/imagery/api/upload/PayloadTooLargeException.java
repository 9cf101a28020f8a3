package dev.imagery.api.upload;

public final class PayloadTooLargeException extends RuntimeException {

  public PayloadTooLargeException(long maxBytes) {
    super("the file is larger than the limit of " + maxBytes + " bytes", null, false, false);
  }
}
