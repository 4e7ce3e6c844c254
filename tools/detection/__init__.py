"""Object detection (目标检测): evaluating detections — IoU, NMS, precision, recall, AP."""
