"""stamping"""
